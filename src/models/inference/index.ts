export { foldBatchNorm, type FoldSummary, type InferenceModel } from './fold.ts';
