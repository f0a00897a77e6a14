/** One worker's part of a batch: whole micro-batches, contiguous, in worker order. */
export interface Share {
  /** First image of the share in the batch. */
  start: number;
  size: number;
  /** Index of the share's first micro-batch among the batch's micro-batches. */
  firstMicroBatch: number;
  microBatches: number;
}

/**
 * Splits a batch of `batch` images, cut into micro-batches of `microBatch` as a single process
 * cuts it (the last one may be smaller), into `workers` contiguous runs of whole micro-batches.
 * The union of the shares is exactly the single-process split, in the same order; workers past
 * the number of micro-batches get an empty share.
 */
export function planShares(batch: number, microBatch: number, workers: number): Share[] {
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`planShares: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(microBatch) || microBatch < 1)
    throw new Error(`planShares: microBatch must be a positive integer, got ${microBatch}`);
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error(`planShares: workers must be a positive integer, got ${workers}`);
  const total = Math.ceil(batch / microBatch);
  return Array.from({ length: workers }, (_, w) => {
    const first = Math.floor((w * total) / workers);
    const end = Math.floor(((w + 1) * total) / workers);
    const start = Math.min(batch, first * microBatch);
    return {
      start,
      size: Math.min(batch, end * microBatch) - start,
      firstMicroBatch: first,
      microBatches: end - first,
    };
  });
}

/**
 * The micro-batch for a batch over `workers` workers: at most `fitsOneHeap` (the largest that one
 * worker's heap holds — each worker has its own), and small enough that every worker gets at
 * least one micro-batch.
 */
export function planMicroBatch(batch: number, fitsOneHeap: number, workers: number): number {
  return Math.max(1, Math.min(fitsOneHeap, Math.ceil(batch / workers)));
}

/** wasm32's address space: each worker's engine has its own heap of at most this many bytes. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * What a micro-batch planner may count on with `workers` wasm workers: every micro-batch must fit
 * one worker's heap, and `workers` of them are in flight at once, so the images a step holds
 * activations for at a time may grow with the summed heap.
 */
export function heapBudget(workers: number): {
  perWorkerBytes: number;
  totalBytes: number;
  concurrentMicroBatches: number;
} {
  return { perWorkerBytes: WASM_HEAP_BYTES, totalBytes: workers * WASM_HEAP_BYTES, concurrentMicroBatches: workers };
}
