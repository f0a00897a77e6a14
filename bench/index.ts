// `npm run bench [-- name ...]`: runs the named benchmarks (all when none is named).
// Every benchmark prints its figures as ratios against a baseline measured in the same run.
const suites: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  tensorboard: () => import('./tensorboard.ts'),
  data: () => import('./data.ts'),
  train: () => import('./train.ts'),
  site: () => import('./site.ts'),
  inference: () => import('./inference.ts'),
  prefix: () => import('./prefix.ts'),
};

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const unknown = names.filter((n) => !(n in suites));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}
for (const name of names.length > 0 ? names : Object.keys(suites)) {
  console.log(`\n== bench ${name}`);
  const suite = await suites[name]();
  await suite.run(flags);
}
