/**
 * Bad input from the person running a command — a flag, an experiment definition, a run to resume,
 * a run.json edited by hand. Every CLI prints its message (one line) and exits with `exitCode`.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}
