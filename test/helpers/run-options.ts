import type { RunOptions } from '../../src/train/run-experiment.ts';
import { cifarDir, sharedModelsDir } from './shared.ts';

/** What the tests' runs share: the real CIFAR-10 and pretrained model of shared/, wasm, offline, quiet. */
export function localRunOptions(logdir: string, log: (line: string) => void = () => {}): RunOptions {
  return {
    logdir,
    dataDir: cifarDir(),
    modelsDir: sharedModelsDir(),
    backend: 'wasm',
    progress: 'none',
    download: false,
    log,
  };
}
