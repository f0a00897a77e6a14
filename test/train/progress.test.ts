// The terminal progress written to a real Writable: plain lines with an ETA from a fake clock (not a
// TTY), cli-progress bars (a stream that says it is a TTY), nothing with 'none'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { createProgress } from '../../src/train/progress.ts';
import { etaText } from '../../src/train/progress-contract.ts';

function fakeStream(tty: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  Object.assign(stream, { isTTY: tty, columns: 160 });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const batch = (n: number) => ({ batch: n, loss: 1.5, accuracy: 0.25, imagesPerSecond: 80 });

test('lines: the first and last step, one every 10 s between, each with its ETA', () => {
  const out = fakeStream(false);
  let now = 0;
  const progress = createProgress('auto', out.stream, () => now);
  progress.start(0, 2, 100, 0);
  now = 100;
  progress.update(batch(1));
  now = 200;
  progress.update(batch(2));
  now = 10_200;
  progress.update(batch(50));
  now = 20_400;
  progress.update(batch(100));
  progress.stop('epoch 1/2: summary');
  assert.deepEqual(out.text().trim().split('\n'), [
    'epoch 1/2 batch 1/100 · loss 1.5000 · acc 0.250 · 80.0 img/s · ETA 10 s',
    'epoch 1/2 batch 50/100 · loss 1.5000 · acc 0.250 · 80.0 img/s · ETA 10 s',
    'epoch 1/2 batch 100/100 · loss 1.5000 · acc 0.250 · 80.0 img/s · ETA 0 s',
    'epoch 1/2: summary',
  ]);
});

test('lines: a counted pass reports images, rate and ETA; nothing after its end', () => {
  const out = fakeStream(false);
  let now = 50_000;
  const progress = createProgress('lines', out.stream, () => now);
  const pass = progress.pass('features train 32 px', 1000);
  now += 1000;
  pass.update(64);
  now += 1000;
  pass.update(128);
  now += 12_000;
  pass.update(700);
  now += 1000;
  pass.update(1000);
  pass.end();
  pass.update(1000);
  assert.deepEqual(out.text().trim().split('\n'), [
    'features train 32 px: 64/1000 images · 64 img/s · ETA 15 s',
    'features train 32 px: 700/1000 images · 50 img/s · ETA 6 s',
    'features train 32 px: 1000/1000 images · 67 img/s · ETA 0 s',
  ]);
});

test('bar: the epoch bar is left complete above the validation bar, then the summary', async () => {
  const out = fakeStream(true);
  const progress = createProgress('auto', out.stream);
  progress.start(0, 1, 4, 0);
  for (let b = 1; b <= 4; b++) progress.update(batch(b));
  const pass = progress.pass('epoch 1/1 validation', 30);
  await new Promise((done) => setTimeout(done, 20));
  pass.update(30);
  pass.end();
  progress.stop('epoch 1/1: loss 1.5000 · train 0.1 s + validation 0.0 s');
  const text = stripVTControlCharacters(out.text());
  const epochBar = text.lastIndexOf('4/4 · loss 1.5000 · acc 0.250 · 80.0 img/s · ETA 0s');
  const validationBar = text.lastIndexOf('epoch 1/1 validation |');
  assert.ok(epochBar >= 0, text);
  assert.ok(validationBar > epochBar, `the validation bar follows the finished epoch bar: ${text}`);
  assert.match(text.slice(validationBar), /^epoch 1\/1 validation \|\S+\| 30\/30 images · \d+ img\/s · ETA 0s/);
  assert.ok(text.endsWith('\nepoch 1/1: loss 1.5000 · train 0.1 s + validation 0.0 s\n'), text);
});

test('none writes nothing; ETA texts read in seconds, minutes, hours', () => {
  const out = fakeStream(false);
  const progress = createProgress('none', out.stream);
  progress.start(0, 1, 2, 0);
  progress.update(batch(2));
  progress.pass('test set', 10).update(10);
  progress.stop('done');
  assert.equal(out.text(), '');
  assert.deepEqual([NaN, 42.4, 150, 7200].map(etaText), ['-', '42 s', '3 min', '2.0 h']);
});
