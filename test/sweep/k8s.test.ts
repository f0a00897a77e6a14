import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
// The generated models only (the package's entry point loads an HTTP client that needs Node 22).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import type { V1Job } from '@kubernetes/client-node/dist/gen/models/V1Job.js';
import { expandSweep } from '../../src/sweep/expand.ts';
import { loadSweep } from '../../src/sweep/load-sweep.ts';
import { sweepCli, sweepEnv, tempDir } from './helpers.ts';

test('--emit k8s: an Indexed Job of the 12 trials that round-trips through the typed Kubernetes models unchanged', async () => {
  const dir = await tempDir('tl-sweep-k8s-');
  const out = join(dir, 'job.yaml');
  const run = sweepCli(
    [
      'quickstart-lr-units',
      '--emit',
      'k8s',
      '--image',
      'registry.example/transfer-lab:1',
      '--pvc',
      'lab-logs',
      '--out',
      out,
    ],
    await sweepEnv(),
    60_000,
  );
  assert.equal(run.status, 0, run.stderr);
  const manifest = parseYaml(readFileSync(out, 'utf8')) as Record<string, unknown>;

  // Any field the Job API does not have, or has under another name, is dropped by the round trip.
  const job = ObjectSerializer.deserialize(manifest, 'V1Job', '') as V1Job;
  assert.deepEqual(JSON.parse(JSON.stringify(ObjectSerializer.serialize(job, 'V1Job', ''))), manifest);

  const trials = expandSweep(loadSweep('quickstart-lr-units'));
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.match(job.metadata!.name!, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a DNS label');
  const spec = job.spec!;
  assert.equal(spec.completionMode, 'Indexed');
  assert.equal(spec.completions, 12);
  assert.equal(spec.parallelism, 2, "the sweep's maxParallel");
  assert.equal(spec.backoffLimitPerIndex, 2);
  assert.deepEqual(
    spec.podFailurePolicy!.rules.map((r) => [r.action, r.onExitCodes?.values ?? r.onPodConditions?.[0]?.type]),
    [
      ['FailIndex', [2]],
      ['Ignore', [130]],
      ['Ignore', 'DisruptionTarget'],
    ],
  );
  const pod = spec.template.spec!;
  assert.equal(pod.restartPolicy, 'Never');
  const [container] = pod.containers;
  assert.equal(container!.image, 'registry.example/transfer-lab:1');
  assert.deepEqual(container!.args!.slice(0, 3), ['quickstart-lr-units', '--trial-index', '$(JOB_COMPLETION_INDEX)']);
  const logdir = container!.args![container!.args!.indexOf('--logdir') + 1];
  assert.ok(
    container!.volumeMounts!.some((m) => m.mountPath === logdir && m.name === 'shared'),
    'the logdir is the shared volume',
  );
  assert.equal(pod.volumes![0]!.persistentVolumeClaim!.claimName, 'lab-logs');
  const ids = container!.env!.find((e) => e.name === 'TRANSFERLAB_SWEEP_TRIAL_IDS')!.value!.split(',');
  assert.deepEqual(
    ids,
    trials.map((t) => t.id),
    'index i is trial i of the plan',
  );
});
