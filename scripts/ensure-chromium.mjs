// The browser tests drive Debian's Chromium through playwright-core (which downloads no browser).
// On a fresh Debian machine where we are root, install it; elsewhere say how.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = process.env.TRANSFERLAB_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt || process.env.TRANSFERLAB_NO_APT) {
  console.error(
    `Chromium not found at ${path}: install Debian's chromium (apt-get install chromium) or set TRANSFERLAB_CHROMIUM`,
  );
  process.exit(1);
}
console.log("Chromium not found: installing Debian's chromium for the browser tests (apt-get) ...");
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', 'chromium'],
]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(
      `apt-get ${args.join(' ')} failed (exit ${r.status}): install chromium by hand or set TRANSFERLAB_CHROMIUM`,
    );
    process.exit(1);
  }
}
