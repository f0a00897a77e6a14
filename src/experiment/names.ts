/**
 * The --progress modes (the download and training progress displays share them). The other names a
 * definition or a flag is checked against live with their owners, in TensorFlow.js-free modules:
 * base names in models/names.ts, backends in backends/names.ts, resize/preprocess modes in data/modes.ts.
 */
export const PROGRESS_MODES = ['auto', 'bar', 'lines', 'none'] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];
