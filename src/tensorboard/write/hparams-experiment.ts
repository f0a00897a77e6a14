// `_hparams_/experiment` at the log root. TensorBoard uses the first experiment it finds, so each
// call writes a fresh file atomically (temp + fsync + rename) and removes the ones written before.
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EventMessage } from '../format/protos.ts';
import { RecordBuffer } from '../format/record.ts';
import { eventFileName } from '../format/file-name.ts';
import { experimentSchema, EXPERIMENT_TAG, type HParamsExperiment } from '../format/hparams-plugin.ts';
import { hparamsValue } from './summaries.ts';
import { encodeExperiment, parseOrThrow } from './hparams-encode.ts';

/** Marks the experiment files this module owns, so only those are replaced. */
export const EXPERIMENT_FILE_SUFFIX = '.hparams-experiment.v2';

export async function writeHparamsExperiment(logdir: string, experiment: HParamsExperiment): Promise<string> {
  const exp = parseOrThrow(experimentSchema, experiment, `hparams experiment for ${logdir}`);
  await mkdir(logdir, { recursive: true });
  const now = Date.now();
  const records = new RecordBuffer();
  records.append(EventMessage.encode({ wall_time: Math.floor(now / 1000), file_version: 'brain.Event:2' }).finish());
  records.append(
    EventMessage.encode({
      wall_time: now / 1000,
      step: 0,
      summary: { value: [hparamsValue(EXPERIMENT_TAG, encodeExperiment(exp))] },
    }).finish(),
  );
  const name = eventFileName({ nowMs: now, suffix: EXPERIMENT_FILE_SUFFIX });
  const tmp = join(logdir, `.${name.replace('tfevents', 'tmp')}.partial`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(records.take());
    await fh.sync();
  } finally {
    await fh.close();
  }
  const previous = (await readdir(logdir)).filter((f) => f.endsWith(EXPERIMENT_FILE_SUFFIX) && f !== name);
  await rename(tmp, join(logdir, name));
  for (const f of previous) await unlink(join(logdir, f)).catch(() => {});
  return join(logdir, name);
}
