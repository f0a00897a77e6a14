// `npm run bench -- tensorboard [--quick]`: writes and reads back N scalar events through the
// event-file layer and compares each against plain `fs` on the same bytes, measured in this run.
// Repetitions are interleaved and the best of each is kept; CPU time is printed too because a
// shared machine inflates wall time unevenly.
import { mkdtemp, readFile, writeFile, rm, readdir, stat, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../src/tensorboard/index.ts';

const TAGS = ['batch_loss', 'batch_accuracy', 'epoch_loss', 'epoch_accuracy'];

interface Timing {
  wall: number;
  cpu: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ t: Timing; result: T }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { t: { wall, cpu: (c.user + c.system) / 1e6 }, result };
}

function keepBest(best: Timing | undefined, t: Timing): Timing {
  return best ? { wall: Math.min(best.wall, t.wall), cpu: Math.min(best.cpu, t.cpu) } : t;
}

function line(name: string, n: number, bytes: number, t: Timing, base: Timing, baseName: string): void {
  console.log(
    `${name.padEnd(30)} ${(n / t.wall / 1e6).toFixed(2).padStart(6)} ` +
      `M events/s ${(bytes / 1e6 / t.wall).toFixed(0).padStart(5)} MB/s` +
      `  ${(t.wall / base.wall).toFixed(2).padStart(6)}x wall, ` +
      `${(t.cpu / base.cpu).toFixed(2).padStart(6)}x CPU of ${baseName}`,
  );
}

/** The reader's own I/O pattern without decoding: 4 MiB pieces into one reused buffer. */
async function readInPieces(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
    let total = 0;
    while (true) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) return total;
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const n = quick ? 100_000 : 1_000_000;
  const reps = quick ? 3 : 5;
  const dir = await mkdtemp(join(tmpdir(), 'tl-bench-tb-'));
  try {
    let write: Timing | undefined;
    let rawRead: Timing | undefined;
    let rawWrite: Timing | undefined;
    let rawPieces: Timing | undefined;
    let read: Timing | undefined;
    let runDir = '';
    let bytes = 0;
    for (let rep = 0; rep < reps; rep++) {
      const w = await timed(async () => {
        const d = join(dir, `w${rep}`);
        const writer = await SummaryWriter.create(d);
        const wall = 1_700_000_000;
        for (let i = 0; i < n; i++) writer.scalar(TAGS[i & 3], i * 1e-6, i >> 2, wall + i * 1e-3);
        await writer.close();
        return d;
      });
      write = keepBest(write, w.t);
      if (rep > 0) await rm(runDir, { recursive: true });
      runDir = w.result;
      const file = join(runDir, (await readdir(runDir))[0]);
      bytes = (await stat(file)).size;
      const raw = await timed(() => readFile(file));
      rawRead = keepBest(rawRead, raw.t);
      rawWrite = keepBest(rawWrite, (await timed(() => writeFile(join(dir, 'raw.bin'), raw.result))).t);
      rawPieces = keepBest(rawPieces, (await timed(() => readInPieces(file))).t);
      const r = await timed(async () => {
        const reader = new RunReader(runDir);
        await reader.update();
        return reader;
      });
      read = keepBest(read, r.t);
      const got = TAGS.reduce((a, t) => a + r.result.scalarColumns(t).values.length, 0);
      if (got !== n) throw new Error(`bench tensorboard: read back ${got} scalars, wrote ${n}`);
      if (r.result.warnings.length > 0) throw new Error(`bench tensorboard: reader warned: ${r.result.warnings[0]}`);
    }
    console.log(
      `${n} scalar events, ${(bytes / 1e6).toFixed(1)} MB, ` +
        `${(bytes / n).toFixed(1)} bytes/event, best of ${reps} interleaved runs`,
    );
    line('fs.readFile (baseline)', n, bytes, rawRead!, rawRead!, 'fs.readFile');
    line('fs.read 4 MiB pieces (baseline)', n, bytes, rawPieces!, rawRead!, 'fs.readFile');
    line('fs.writeFile (baseline)', n, bytes, rawWrite!, rawRead!, 'fs.readFile');
    line('SummaryWriter.scalar…close', n, bytes, write!, rawRead!, 'fs.readFile');
    line('', n, bytes, write!, rawWrite!, 'fs.writeFile');
    line('RunReader.update (CRCs checked)', n, bytes, read!, rawRead!, 'fs.readFile');
    line('', n, bytes, read!, rawPieces!, 'fs.read pieces');
    const ratio = read!.wall / rawRead!.wall;
    console.log(
      `targets: write ${n / write!.wall >= 1e6 ? 'met' : 'MISSED'} (>1M events/s), ` +
        `read ${n / read!.wall >= 1e6 ? 'met' : 'MISSED'} (>1M events/s), ` +
        `read within 3x of fs.readFile ${ratio <= 3 ? 'met' : 'MISSED'} ` +
        `(${ratio.toFixed(1)}x wall, ${(read!.cpu / rawRead!.cpu).toFixed(1)}x CPU)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
