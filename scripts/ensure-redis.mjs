// The bullmq executor's tests start a real redis-server (Debian's package) on a free loopback port.
// On a fresh Debian machine where we are root, install it; elsewhere say how.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const path = process.env.TRANSFERLAB_REDIS_SERVER ?? '/usr/bin/redis-server';
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt || process.env.TRANSFERLAB_NO_APT) {
  console.error(`redis-server not found at ${path}: install Debian's redis-server (apt-get install redis-server) or set TRANSFERLAB_REDIS_SERVER`);
  process.exit(1);
}
console.log('redis-server not found: installing Debian\'s redis-server for the sweep tests (apt-get) ...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'redis-server']]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed (exit ${r.status}): install redis-server by hand or set TRANSFERLAB_REDIS_SERVER`);
    process.exit(1);
  }
}
