// `npm run worker -- --redis URL --queue NAME`: consumes a sweep's trial jobs, one child process per
// trial, writing into the shared log directory. SIGTERM (or Ctrl-C): the running trials checkpoint
// and go back to the queue, then the worker exits 0; a second one stops the trials at once.
import { cpus } from 'node:os';
import { connectRedis, redactedUrl } from '../sweep/queue.ts';
import { startWorker } from '../sweep/worker.ts';
import { resolveLogdir } from '../experiment/locations.ts';
import { UsageError } from '../experiment/usage-error.ts';
import { isEntryPoint, parseFlags, runCli } from './args.ts';

const OPTIONS = {
  redis: { type: 'string' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
  threads: { type: 'string' },
  gpus: { type: 'string' },
  backend: { type: 'string' },
  logdir: { type: 'string' },
  'stalled-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function usage(): string {
  return `Usage: npm run worker -- --redis URL --queue NAME [flags]

Runs the trials queued by  npm run sweep <name> -- --redis URL  (the queue is the sweep's name unless
--queue was given there), each as a child process, into the log directory all workers share.

Flags:
  --redis URL            the Redis server, e.g. redis://host:6379 (required)
  --queue NAME           the sweep's queue (required)
  --concurrency N        trials at once on this worker (default 1)
  --threads N            threads per trial (default: the cores shared out among the concurrent trials)
  --gpus N               GPUs to share out, one per concurrent trial (default 0)
  --backend B            the trials' TensorFlow.js backend (auto | gpu | node | wasm | cpu)
  --logdir DIR           the shared log directory (default: TRANSFERLAB_LOGDIR, else logs/)
  --stalled-seconds S    a dead worker's trials go back to the queue after this long (default 30;
                         keep it above the longest training step)
  -h, --help             this help

Exit codes: 0 stopped by SIGTERM / Ctrl-C (its trials went back to the queue) · 1 Redis unreachable ·
2 bad flags.`;
}

async function main(): Promise<number> {
  const { values } = parseFlags(process.argv.slice(2), OPTIONS, false);
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (!values.redis) throw new UsageError('--redis URL is required (e.g. redis://localhost:6379)');
  if (!values.queue) throw new UsageError("--queue NAME is required (the sweep's name)");
  const concurrency = count(values.concurrency, '--concurrency', 1) ?? 1;
  const threads = count(values.threads, '--threads', 1) ?? Math.max(1, Math.floor(cpus().length / concurrency));
  const gpus = count(values.gpus, '--gpus', 0) ?? 0;
  const stalledSeconds = count(values['stalled-seconds'], '--stalled-seconds', 1) ?? 30;
  const logdir = resolveLogdir(values.logdir);

  const connection = await connectRedis(values.redis);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const worker = startWorker({
    queue: values.queue,
    connection,
    concurrency,
    logdir,
    threads,
    gpus,
    stalledSeconds,
    log,
    ...(values.backend ? { backend: values.backend } : {}),
  });
  log(
    `worker: queue ${values.queue} on ${redactedUrl(values.redis)}, ${concurrency} at once, ` +
      `${threads} thread${threads === 1 ? '' : 's'} each → ${logdir}`,
  );
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: checkpointing the running trials and putting them back in the queue`);
    void worker.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await worker.closed;
  connection.disconnect();
  log('worker: stopped');
  return 0;
}

function count(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} ${text}: expected a whole number of at least ${min}`);
  return n;
}

if (isEntryPoint(import.meta.url)) runCli(main);
