// Slots of the control Int32Array shared by the trainer and its workers.
const COUNT = 0;
const GENERATION = 1;
const ABORTED = 2;
/** Set by the trainer (a Ctrl-C): workers start no further micro-batch of the step in progress. */
const STOP = 3;
export const CONTROL_SLOTS = 4;

/** The stop flag of a step: the trainer raises it from the main thread, workers read it between micro-batches. */
export const stopFlag = {
  raise: (control: Int32Array): void => void Atomics.store(control, STOP, 1),
  clear: (control: Int32Array): void => void Atomics.store(control, STOP, 0),
  raised: (control: Int32Array): boolean => Atomics.load(control, STOP) !== 0,
};

/** A sibling worker failed (or the trainer gave up): the step cannot complete. */
export class StepAbortedError extends Error {
  override name = 'StepAbortedError';
}

/**
 * A reusable barrier for the workers of one trainer over a shared Int32Array (Atomics; workers
 * only: the main thread may not block). `abort()` — from any thread — releases every waiter with
 * StepAbortedError, so one worker's crash cannot leave the others waiting forever.
 */
export class SharedBarrier {
  constructor(
    private readonly control: Int32Array,
    private readonly parties: number,
  ) {}

  wait(): void {
    const c = this.control;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.load(c, ABORTED) !== 0) throw new StepAbortedError('data-parallel step aborted');
    if (Atomics.add(c, COUNT, 1) === this.parties - 1) {
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
    } else {
      while (Atomics.load(c, GENERATION) === generation) Atomics.wait(c, GENERATION, generation);
    }
    if (Atomics.load(c, ABORTED) !== 0) throw new StepAbortedError('data-parallel step aborted');
  }

  /** Bumping the generation as well wakes a waiter even if it checked the flag just before. */
  static abort(control: Int32Array): void {
    Atomics.store(control, ABORTED, 1);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
  }
}
