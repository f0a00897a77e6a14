import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_NAMES } from '../../src/models/names.ts';
import { UsageError } from '../../src/experiment/usage-error.ts';
import { listExperiments, loadDefinition, resolveInlineDefinition } from '../../src/experiment/load.ts';

const VALID = `
description: tiny
seed: 7
model:
  base: mobilenetv2
  alpha: 0.35
  weights: none
  inputSize: 96
  freeze: all
  head: { pooling: avg, dense: [{ units: 32, dropout: 0.2 }] }
data: { validationSize: 100, trainPerClass: 10 }
optimizer: { name: sgd, learningRate: 0.01, momentum: 0.9 }
train: { epochs: 2, batchSize: 16 }
`;

async function experimentsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tl-defs-'));
  await writeFile(join(dir, 'valid.yaml'), VALID);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Loads and expects a UsageError whose single line names the file and matches `pattern`. */
function expectError(load: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(load, (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.equal(error.exitCode, 2);
    assert.ok(!error.message.includes('\n'), `not one line: ${error.message}`);
    assert.ok(error.message.includes(file), `"${error.message}" does not name ${file}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test('every shipped experiment definition validates, and the study ones are 160 px with ImageNet weights', () => {
  const names = listExperiments();
  for (const required of [
    'quickstart',
    'densenet-full',
    'densenet-unfreeze250',
    'densenet-frozen',
    'mobilenetv2-frozen',
    'inceptionv3-frozen',
    'resnet50-frozen',
  ]) {
    assert.ok(names.includes(required), `missing experiments/${required}.yaml`);
  }
  for (const name of names) {
    const { definition } = loadDefinition(name);
    // The CPU recipes (quickstart, mobilenetv1-finetune) use the pretrained tfjs MobileNet v1; the study's are Keras'.
    const recipe = ['quickstart', 'mobilenetv1-finetune'].includes(name);
    if (recipe) assert.ok(definition.model.weights.startsWith('pretrained:'), name);
    else {
      assert.equal(definition.model.inputSize, 160, name);
      assert.equal(definition.model.weights, 'imagenet', name);
    }
  }
  assert.deepEqual(loadDefinition('densenet-unfreeze250').definition.model.freeze, { last: 250 });
  assert.equal(loadDefinition('densenet-frozen').definition.model.freeze, 'all');
  const quick = loadDefinition('quickstart').definition;
  assert.equal(quick.model.freeze, 'all');
  assert.equal(quick.model.weights, 'pretrained:mobilenet_v1_0.25_224');
  assert.equal(quick.data.trainPerClass, undefined, 'quickstart trains on the full training set');
});

test('definitions accept exactly the bases the models module builds', () => {
  for (const base of BASE_NAMES) {
    const alpha = base.startsWith('mobilenet') ? { alpha: 0.5 } : {};
    const model = { base, ...alpha, weights: 'none', inputSize: 96 };
    assert.equal(resolveInlineDefinition({ extends: 'quickstart', model }).definition.model.base, base);
  }
  assert.throws(() => resolveInlineDefinition({ extends: 'quickstart', model: { base: 'vgg16' } }), /model\.base: /);
});

test('extends deep-merges objects, replaces arrays, and chains', async () => {
  const dir = await experimentsDir({
    'child.yaml': 'extends: valid\nmodel: { inputSize: 128 }\ntags: [a]\n',
    'grandchild.yaml': 'extends: child\noptimizer: { learningRate: 0.5 }\n',
  });
  const { definition, experiment } = loadDefinition('grandchild', { experimentsDir: dir });
  assert.equal(experiment, 'grandchild');
  assert.equal(definition.model.inputSize, 128);
  assert.equal(definition.model.base, 'mobilenetv2', 'kept from the parent');
  assert.deepEqual(definition.tags, ['a']);
  assert.equal(definition.optimizer.learningRate, 0.5);
  assert.equal(definition.optimizer.momentum, 0.9);
});

test('--set overrides are typed by the schema and applied in order', async () => {
  const dir = await experimentsDir({});
  const { definition } = loadDefinition('valid', {
    experimentsDir: dir,
    overrides: [
      'model.weights=imagenet',
      'train.epochs=3',
      'data.augment.flip=true',
      'model.freeze={last: 5}',
      'model.head.dense.0.units=64',
      'tags=[x, y]',
      'train.epochs=4',
      'notes=123',
    ],
  });
  assert.equal(definition.model.weights, 'imagenet');
  assert.equal(definition.train.epochs, 4);
  assert.equal(definition.data.augment.flip, true);
  assert.deepEqual(definition.model.freeze, { last: 5 });
  assert.equal(definition.model.head.dense[0]!.units, 64);
  assert.deepEqual(definition.tags, ['x', 'y']);
  assert.equal(definition.notes, '123', 'a string key keeps digits as text');
});

test('inline definitions validate the same way and may extend a named experiment', async () => {
  const dir = await experimentsDir({});
  const { definition } = resolveInlineDefinition(
    { extends: 'valid', train: { epochs: 9 } },
    { experimentsDir: dir, experiment: 'mine' },
  );
  assert.equal(definition.train.epochs, 9);
  expectError(
    () => resolveInlineDefinition({ extends: 'valid', train: { epochs: 0 } }, { experimentsDir: dir }),
    'inline definition',
    /train\.epochs/,
  );
});

// Malformed definition files: [file name, contents, what the message must say].
const BAD_FILES: [string, string, RegExp][] = [
  ['unknown-top.yaml', `${VALID}\nlearning_rate: 3\n`, /learning_rate: unknown key/],
  [
    'unknown-model.yaml',
    VALID.replace('inputSize: 96', 'inputSize: 96\n  inputsize: 96'),
    /model\.inputsize: unknown key/,
  ],
  ['bad-base.yaml', VALID.replace('mobilenetv2', 'vgg16'), /model\.base: /],
  ['bad-size-type.yaml', VALID.replace('inputSize: 96', 'inputSize: big'), /model\.inputSize: /],
  ['bad-size-small.yaml', VALID.replace('inputSize: 96', 'inputSize: 8'), /model\.inputSize: /],
  ['bad-resize.yaml', VALID.replace('freeze: all', 'freeze: all\n  resize: bicubic'), /model\.resize: /],
  ['bad-freeze.yaml', VALID.replace('freeze: all', 'freeze: some'), /model\.freeze/],
  ['bad-freeze-last.yaml', VALID.replace('freeze: all', 'freeze: { last: -3 }'), /model\.freeze/],
  ['bad-pooling.yaml', VALID.replace('pooling: avg', 'pooling: median'), /model\.head\.pooling: /],
  ['bad-dropout.yaml', VALID.replace('dropout: 0.2', 'dropout: 1.5'), /model\.head\.dense\.0\.dropout: /],
  ['bad-units.yaml', VALID.replace('units: 32', 'units: 0'), /model\.head\.dense\.0\.units: /],
  [
    'bad-activation.yaml',
    VALID.replace('units: 32', 'units: 32, activation: softplusplus'),
    /model\.head\.dense\.0\.activation: /,
  ],
  ['bad-optimizer.yaml', VALID.replace('name: sgd', 'name: adagrad'), /optimizer\.name: /],
  ['bad-lr.yaml', VALID.replace('learningRate: 0.01', 'learningRate: -1'), /optimizer\.learningRate: /],
  ['adam-momentum.yaml', VALID.replace('name: sgd', 'name: adam'), /optimizer\.momentum: adam takes no momentum/],
  [
    'bad-schedule.yaml',
    VALID.replace('momentum: 0.9', 'momentum: 0.9, schedule: { kind: linear }'),
    /optimizer\.schedule\.kind/,
  ],
  [
    'bad-step-schedule.yaml',
    VALID.replace('momentum: 0.9', 'momentum: 0.9, schedule: { kind: step }'),
    /optimizer\.schedule\.everyEpochs: required/,
  ],
  ['bad-epochs.yaml', VALID.replace('epochs: 2', 'epochs: 2.5'), /train\.epochs: /],
  [
    'micro-too-big.yaml',
    VALID.replace('batchSize: 16', 'batchSize: 16, microBatch: 32'),
    /train\.microBatch: must be at most train\.batchSize/,
  ],
  ['bad-cache.yaml', VALID.replace('batchSize: 16', 'batchSize: 16, featureCache: yes'), /train\.featureCache: /],
  ['missing-train.yaml', VALID.replace('train: { epochs: 2, batchSize: 16 }', ''), /train: required/],
  ['bad-per-class.yaml', VALID.replace('trainPerClass: 10', 'trainPerClass: 6000'), /data\.trainPerClass: /],
  [
    'bad-augment.yaml',
    VALID.replace('trainPerClass: 10', 'trainPerClass: 10, augment: { rotate: true }'),
    /data\.augment\.rotate: unknown key/,
  ],
  ['bad-tags.yaml', VALID.replace('seed: 7', 'seed: 7\ntags: [two words]'), /tags\.0: /],
  ['bad-seed.yaml', VALID.replace('seed: 7', 'seed: -1'), /seed: /],
  [
    'pretrained-wrong-base.yaml',
    VALID.replace('weights: none', 'weights: pretrained:mobilenet_v1_0.25_224'),
    /model\.weights: pretrained/,
  ],
  ['bad-yaml.yaml', 'model: [unclosed\n', /not valid YAML/],
  ['duplicate-key.yaml', `${VALID}\nseed: 8\n`, /not valid YAML/],
  ['not-a-mapping.yaml', '- 1\n- 2\n', /must be a mapping/],
  ['bad-json.json', '{"model": ', /not valid JSON/],
  ['missing-parent.yaml', 'extends: nowhere\n', /extends: nowhere: no such experiment definition/],
  ['cycle-a.yaml', 'extends: cycle-b\n', /extends: cycle/],
  ['cycle-b.yaml', 'extends: cycle-a\n', /extends: cycle/],
];

test(`${BAD_FILES.length} malformed definition files each give one line naming the file and the key`, async () => {
  const dir = await experimentsDir(Object.fromEntries(BAD_FILES.map(([name, text]) => [name, text])));
  for (const [name, , pattern] of BAD_FILES) {
    expectError(() => loadDefinition(join(dir, name)), name, pattern);
  }
});

// Malformed overrides on a valid file.
const BAD_OVERRIDES: [string, RegExp][] = [
  ['train.epochs', /--set train\.epochs: expected key=value/],
  ['=3', /expected key=value/],
  ['train..epochs=3', /empty key segment/],
  ['train.epoch=3', /--set train\.epoch: unknown key/],
  ['model.nothing.deeper=1', /--set model\.nothing\.deeper: unknown key/],
  ['train.epochs=three', /--set train\.epochs: expected a number, got "three"/],
  ['train.epochs=', /--set train\.epochs: expected a number/],
  ['data.augment.flip=yes', /--set data\.augment\.flip: expected true or false/],
  ['train.epochs=0', /train\.epochs: /],
  ['model.base=alexnet', /model\.base: /],
  ['optimizer.momentum=0.9', /with --set .*optimizer\.momentum/],
  ['model.freeze={last: [1', /--set model\.freeze: cannot parse/],
  ['model.inputSize=1e9', /model\.inputSize: /],
];

test(`${BAD_OVERRIDES.length} malformed --set overrides each give one line naming the file and the key`, async () => {
  const dir = await experimentsDir({
    'adam.yaml': VALID.replace('name: sgd, learningRate: 0.01, momentum: 0.9', 'name: adam, learningRate: 0.01'),
  });
  for (const [override, pattern] of BAD_OVERRIDES) {
    const name = override.startsWith('optimizer.momentum') ? 'adam' : 'valid';
    expectError(() => loadDefinition(name, { experimentsDir: dir, overrides: [override] }), `${name}.yaml`, pattern);
  }
});

test('an unknown experiment name lists the known ones', async () => {
  const dir = await experimentsDir({});
  expectError(
    () => loadDefinition('nope', { experimentsDir: dir }),
    'nope.yaml',
    /no such experiment definition \(known: valid\)/,
  );
});
