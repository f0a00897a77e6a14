// `npm run tensorboard [-- --logdir DIR --port N]`: starts TensorBoard on the log directory when it is installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveLogdir } from '../experiment/locations.ts';
import { isEntryPoint, parseFlags, runCli } from './args.ts';

const OPTIONS = {
  logdir: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How to start TensorBoard: `tensorboard` on PATH, else `python3 -m tensorboard`; null when neither works. */
function findTensorBoard(env: NodeJS.ProcessEnv = process.env): { command: string; args: string[] } | null {
  const candidates: { command: string; args: string[] }[] = [
    { command: 'tensorboard', args: [] },
    { command: 'python3', args: ['-m', 'tensorboard.main'] },
  ];
  for (const c of candidates) {
    const probe = spawnSync(c.command, [...c.args, '--version_tb'], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (probe.status === 0) return c;
  }
  return null;
}

const INSTALL_HINT =
  'TensorBoard is not installed: install it with `pip install tensorboard` ' +
  '(or `python3 -m pip install --user tensorboard`), then run `npm run tensorboard` again';

async function main(): Promise<number> {
  const { values } = parseFlags(process.argv.slice(2), OPTIONS, false);
  if (values.help) {
    process.stdout.write(
      'Usage: npm run tensorboard -- [--logdir DIR] [--port 6006] [--host localhost]\n' +
        'Starts TensorBoard on the log directory (default: TRANSFERLAB_LOGDIR, else logs/).\n',
    );
    return 0;
  }
  const logdir = resolve(resolveLogdir(values.logdir));
  const port = values.port ?? '6006';
  const host = values.host ?? 'localhost';
  const tb = findTensorBoard();
  if (!tb) {
    process.stderr.write(`${INSTALL_HINT}\n`);
    return 1;
  }
  if (!existsSync(logdir))
    process.stderr.write(`note: ${logdir} does not exist yet; TensorBoard will show runs as they appear\n`);
  process.stdout.write(`TensorBoard on ${logdir}: http://${host}:${port}/  (Ctrl-C to stop)\n`);
  const child = spawn(tb.command, [...tb.args, '--logdir', logdir, '--port', port, '--host', host], {
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) => child.on('exit', (code, signal) => done(signal ? 0 : (code ?? 1))));
}

if (isEntryPoint(import.meta.url)) runCli(main);
