import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// The browser builds of vega, vega-lite, vega-embed and vega-interpreter, served from node_modules
// (live site) or copied next to the static report, so charts never load anything from the network.
// vega-interpreter evaluates vega expressions without `new Function`, so the CSP needs no
// 'unsafe-eval'; it ships only as an ES module importing vega-util, whose exports the vega bundle
// carries, so it is wrapped into a classic script reading them from the `vega` global.

const require = createRequire(import.meta.url);

const FILES = {
  'vega.min.js': 'vega/build/vega.min.js',
  'vega-lite.min.js': 'vega-lite/build/vega-lite.min.js',
  'vega-interpreter.js': 'vega-interpreter/build/vega-interpreter.js',
  'vega-embed.min.js': 'vega-embed/build/vega-embed.min.js',
} as const;

type VendorName = keyof typeof FILES;
export const VENDOR_SCRIPTS = Object.keys(FILES) as VendorName[];

/** A file inside an installed package, found the way Node looks for packages (these export no package.json). */
function packageFile(path: string): string {
  const pkg = path.split('/')[0];
  const dir = (require.resolve.paths(pkg) ?? []).find((d) => existsSync(join(d, pkg, 'package.json')));
  if (!dir) throw new Error(`${pkg} is not installed (needed for the charts); run npm ci`);
  return readFileSync(join(dir, path), 'utf8');
}

function classicInterpreter(source: string): string {
  const imports = /^import \{([^}]+)\} from 'vega-util';$/m;
  const exported = /^export \{ expression as expressionInterpreter \};$/m;
  if (!imports.test(source) || !exported.test(source)) {
    throw new Error('vega-interpreter: unexpected build layout (import/export lines changed); update vendor-assets.ts');
  }
  const body = source.replace(imports, 'const {$1} = self.vega;').replace(exported, '');
  return `(function () {\n${body}\nself.vegaInterpreter = { expressionInterpreter: expression };\n})();\n`;
}

const cache = new Map<VendorName, string>();

/** The script text of a vendored browser build, or null for a name that is not one. */
export function vendorScript(name: string): string | null {
  if (!(name in FILES)) return null;
  const key = name as VendorName;
  let text = cache.get(key);
  if (text === undefined) {
    const source = packageFile(FILES[key]);
    text = key === 'vega-interpreter.js' ? classicInterpreter(source) : source;
    cache.set(key, text);
  }
  return text;
}
