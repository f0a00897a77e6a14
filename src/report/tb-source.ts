import { RunReader, discoverRuns } from '../tensorboard/index.ts';
import type { EventReader, EventSource } from './event-source.ts';

function adapt(reader: RunReader): EventReader {
  return {
    update: () => reader.update(),
    scalarTags: () => reader.tags('scalars'),
    imageTags: () => reader.tags('images'),
    textTags: () => reader.tags('texts'),
    scalars: (tag) => reader.scalars(tag),
    images: (tag) => reader.images(tag),
    texts: (tag) => reader.texts(tag),
    hparams: () => reader.hparams(),
    warnings: () => reader.warnings,
  };
}

/** src/tensorboard's incremental RunReader behind the report's EventSource. */
export const tensorboardSource: EventSource = {
  // Event-file directories inside one run (`.`, `train`, `validation`, …); unlike TensorBoard this
  // never follows symbolic links, so nothing outside the logdir is read.
  discover: (dir) => discoverRuns(dir, { followSymlinks: false, maxDepth: 3, skipDir: (name) => name === 'checkpoints' || name.startsWith('.') }),
  open: (dir) => adapt(new RunReader(dir)),
};
