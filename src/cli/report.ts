// npm run report -- --out <dir> [--runs a,b,c] [--logdir logs] [--tensorboard-url …]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveLogdir } from '../experiment/locations.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { httpUrlFlag, LOGDIR_OPTION, parseFlags, runCli } from './args.ts';
import { parseCompareOptions } from '../report/pages/context.ts';
import { writeStaticReport } from '../report/export/static-report.ts';

const HELP = `Usage: npm run report -- --out <dir> [options]
Writes a self-contained static HTML report (runs table, comparison, run pages).
  --out <dir>               output folder (created)
  --runs <a,b,c>            run ids to report on and compare (default: all runs; the best 8 compared)
  --logdir <dir>            log directory (default: $TRANSFERLAB_LOGDIR or logs/)
  --smoothing <0..0.999>    curve smoothing, TensorBoard's debiased EMA (default 0.6)
  --threshold <percent>     validation accuracy target for time/compute-to-accuracy (default 80)
  --cost <flops|hours>      cost axis of the Pareto front (default flops)
  --tensorboard-url <url>   TensorBoard base URL for the deep links (default http://localhost:6006)`;

runCli(async () => {
  const { values } = parseFlags(
    process.argv.slice(2),
    {
      ...LOGDIR_OPTION,
      out: { type: 'string' },
      runs: { type: 'string' },
      smoothing: { type: 'string' },
      threshold: { type: 'string' },
      cost: { type: 'string' },
      'tensorboard-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.out) throw new UsageError('--out: required (the folder to write the report into)');
  if (values.cost !== undefined && values.cost !== 'flops' && values.cost !== 'hours')
    throw new UsageError(`--cost: expected flops or hours, got ${values.cost}`);
  for (const [flag, v, max] of [
    ['--smoothing', values.smoothing, 0.999],
    ['--threshold', values.threshold, 100],
  ] as const) {
    if (v !== undefined && !(Number(v) >= 0 && Number(v) <= max))
      throw new UsageError(`${flag}: expected a number 0–${max}, got ${v}`);
  }
  const tensorboardUrl = httpUrlFlag('--tensorboard-url', values['tensorboard-url'] ?? 'http://localhost:6006');
  const runs = values.runs
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const logdir = resolveLogdir(values.logdir);
  const result = await writeStaticReport({
    logdir,
    out: values.out,
    runs,
    tensorboardUrl,
    compare: parseCompareOptions({ smoothing: values.smoothing, threshold: values.threshold, cost: values.cost }),
  });
  const index = pathToFileURL(resolve(values.out, 'index.html')).href;
  console.log(
    `wrote ${result.files.filter((f) => f.endsWith('.html')).length} pages (and CSV/JSON exports) ` +
      `for ${result.runs} runs (${result.compared.length} compared, ${result.sweeps.length} sweeps) ` +
      `to ${values.out}: open ${index}`,
  );
  return 0;
});
