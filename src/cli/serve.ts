// npm run serve -- [--logdir logs] [--host 127.0.0.1] [--port 8080] [--tensorboard-url http://localhost:6006]
import { existsSync } from 'node:fs';
import { resolveLogdir } from '../experiment/locations.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { httpUrlFlag, LOGDIR_OPTION, parseFlags, runCli } from './args.ts';
import { startServer } from '../server/start.ts';

const HELP = `Usage: npm run serve -- [options]
Serves the runs table, run pages and comparisons of a log directory.
  --logdir <dir>            log directory (default: $TRANSFERLAB_LOGDIR or logs/)
  --host <address>          address to bind (default 127.0.0.1; use 0.0.0.0 to expose it)
  --port <n>                port (default 8080; 0 = any free port)
  --tensorboard-url <url>   TensorBoard serving the same logdir (default http://localhost:6006)
  --stale-after <minutes>   show a running run as stale after this long without any write (default 30)`;

runCli(async () => {
  const { values } = parseFlags(
    process.argv.slice(2),
    {
      ...LOGDIR_OPTION,
      host: { type: 'string' },
      port: { type: 'string' },
      'tensorboard-url': { type: 'string' },
      'stale-after': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const logdir = resolveLogdir(values.logdir);
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: expected an integer 0–65535, got ${values.port}`);
  const tensorboardUrl = httpUrlFlag('--tensorboard-url', values['tensorboard-url'] ?? 'http://localhost:6006');
  const staleAfter = values['stale-after'] === undefined ? 30 : Number(values['stale-after']);
  if (!(staleAfter > 0))
    throw new UsageError(`--stale-after: expected a positive number of minutes, got ${values['stale-after']}`);
  if (!existsSync(logdir)) console.error(`note: log directory ${logdir} does not exist yet; runs appear once it does`);
  const server = await startServer({
    logdir,
    host: values.host ?? '127.0.0.1',
    port,
    tensorboardUrl,
    staleAfterMs: staleAfter * 60_000,
  });
  console.log(`transfer-lab site on ${server.url} (logdir ${logdir}; TensorBoard links to ${tensorboardUrl})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
});
