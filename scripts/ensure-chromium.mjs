// The browser tests drive Debian's Chromium through playwright-core (which downloads no browser).
// Chromium is TRANSFERLAB_CHROMIUM, else /usr/bin/chromium. When the default is missing on a Debian machine
// where we are root, install it with apt-get. Still missing afterwards: in CI (CI set) that fails `npm test`;
// elsewhere the browser suite is skipped, and this says so loudly.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const DEFAULT_PATH = '/usr/bin/chromium';
const chosen = process.env.TRANSFERLAB_CHROMIUM;
const path = chosen || DEFAULT_PATH;
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';

function missing(why) {
  if (inCi) {
    console.error(`Chromium not found at ${path}: ${why} (CI is set, so the browser suite may not be skipped)`);
    process.exit(1);
  }
  console.error(`WARNING: Chromium not found at ${path}: ${why}; the browser tests will be SKIPPED`);
  process.exit(0);
}

function aptInstall() {
  console.log("Chromium not found: installing Debian's chromium for the browser tests (apt-get) ...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', 'chromium'],
  ]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) missing(`apt-get ${args.join(' ')} failed (exit ${r.status}); install chromium by hand`);
  }
}

if (existsSync(path)) process.exit(0);
// A path the user chose is not replaced by an install somewhere else.
if (chosen) missing('TRANSFERLAB_CHROMIUM names a file that does not exist');

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt || process.env.TRANSFERLAB_NO_APT) {
  missing("install Debian's chromium (apt-get install chromium) or set TRANSFERLAB_CHROMIUM");
}
aptInstall();
if (!existsSync(path)) missing(`apt-get installed chromium but ${path} is still missing; set TRANSFERLAB_CHROMIUM`);
