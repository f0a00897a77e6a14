// `npm run bench -- tensorboard [--quick]`: writes and reads back N scalar events through the
// event-file layer and compares each against plain `fs` on the same bytes, measured in this run.
import { mkdtemp, readFile, writeFile, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SummaryWriter, RunReader } from '../src/tensorboard/index.ts';

const TAGS = ['batch_loss', 'batch_accuracy', 'epoch_loss', 'epoch_accuracy'];

function seconds(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function best<T>(reps: number, fn: () => Promise<T>): Promise<{ s: number; result: T }> {
  let bestS = Infinity;
  let result!: T;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    result = await fn();
    bestS = Math.min(bestS, seconds(t0));
  }
  return { s: bestS, result };
}

function line(name: string, events: number, bytes: number, s: number, baselineS: number, baselineName: string): void {
  const eps = events / s;
  const mbps = bytes / 1e6 / s;
  console.log(
    `${name.padEnd(28)} ${(eps / 1e6).toFixed(2).padStart(6)} M events/s ${mbps.toFixed(0).padStart(6)} MB/s   ` +
      `${(s / baselineS).toFixed(2)}x the time of ${baselineName}`,
  );
}

export async function run(flags: string[]): Promise<void> {
  const quick = flags.includes('--quick');
  const n = quick ? 100_000 : 1_000_000;
  const reps = quick ? 2 : 3;
  const dir = await mkdtemp(join(tmpdir(), 'tl-bench-tb-'));
  try {
    let wIndex = 0;
    const write = await best(reps, async () => {
      const runDir = join(dir, `w${wIndex++}`);
      const w = await SummaryWriter.create(runDir);
      const wall = 1_700_000_000;
      for (let i = 0; i < n; i++) w.scalar(TAGS[i & 3], i * 1e-6, i >> 2, wall + i * 1e-3);
      await w.close();
      return runDir;
    });
    const runDir = write.result;
    const file = join(runDir, (await readdir(runDir))[0]);
    const bytes = (await stat(file)).size;

    const rawRead = await best(reps + 2, () => readFile(file));
    const rawWrite = await best(reps, () => writeFile(join(dir, 'raw.bin'), rawRead.result));
    const read = await best(reps, async () => {
      const r = new RunReader(runDir);
      await r.update();
      return r;
    });
    const got = TAGS.reduce((a, t) => a + read.result.scalars(t).length, 0);
    if (got !== n) throw new Error(`bench tensorboard: read back ${got} scalars, wrote ${n}`);
    if (read.result.warnings.length > 0) throw new Error(`bench tensorboard: reader warned: ${read.result.warnings[0]}`);

    console.log(`${n} scalar events, ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / n).toFixed(1)} bytes/event, best of ${reps}`);
    line('fs.readFile (baseline)', n, bytes, rawRead.s, rawRead.s, 'fs.readFile');
    line('fs.writeFile (baseline)', n, bytes, rawWrite.s, rawRead.s, 'fs.readFile');
    line('SummaryWriter.scalar+close', n, bytes, write.s, rawRead.s, 'fs.readFile');
    console.log(`${''.padEnd(28)} ${(write.s / rawWrite.s).toFixed(2)}x the time of fs.writeFile`);
    line('RunReader.update', n, bytes, read.s, rawRead.s, 'fs.readFile');
    console.log(
      `targets: write ${n / write.s >= 1e6 ? 'met' : 'MISSED'} (>1M events/s), read ${n / read.s >= 1e6 ? 'met' : 'MISSED'} (>1M events/s), ` +
        `read ${read.s / rawRead.s <= 3 ? 'met' : 'MISSED'} (within 3x of fs.readFile: ${(read.s / rawRead.s).toFixed(1)}x)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
