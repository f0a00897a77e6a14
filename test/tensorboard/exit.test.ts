import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RunReader } from '../../src/tensorboard/index.ts';
import { withTempDir } from './helpers.ts';

const writerModule = fileURLToPath(new URL('../../src/tensorboard/index.ts', import.meta.url));

test('records queued but not flushed are written when the process exits without close()', async () => {
  await withTempDir(async (dir) => {
    const script = `
      const { SummaryWriter } = await import(${JSON.stringify(writerModule)});
      const w = await SummaryWriter.create(${JSON.stringify(dir)});
      for (let i = 0; i < 1000; i++) w.scalar('batch_loss', i, i);
      process.exit(0);`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stderr);
    const r = new RunReader(dir);
    await r.update();
    assert.equal(r.scalars('batch_loss').length, 1000);
    assert.deepEqual(r.warnings, []);
  });
});
