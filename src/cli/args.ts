// Flag parsing and the exit-code contract every CLI shares: one line on stderr, 2 for a UsageError.
// src/cli/ owns the command lines (experiment, serve, report, tensorboard); it may import any folder below.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../experiment/usage-error.ts';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Flags every CLI that reads runs shares (serve, report, experiment, tensorboard). */
export const LOGDIR_OPTION = {
  logdir: { type: 'string' },
} as const satisfies OptionSpec;

/**
 * Parses argv strictly (unknown flags and missing values are UsageErrors with a one-line message)
 * and returns typed values and positionals.
 */
export function parseFlags<const O extends OptionSpec>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node's messages span lines (with hints); keep the first line only.
    throw new UsageError(
      message
        .split('\n')[0]!
        .replace(/\. To specify a positional.*$/, '')
        .trim(),
    );
  }
}

/**
 * Runs a CLI main function: a UsageError → its one line + its exit code (2); other errors → one line + exit 1.
 * `main` returns the exit code.
 */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${firstLine(message)}\n`);
      if (process.env.TRANSFERLAB_DEBUG && error instanceof Error && error.stack)
        process.stderr.write(`${error.stack}\n`);
      process.exitCode = error instanceof UsageError ? error.exitCode : 1;
    },
  );
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

/** True when the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** An http(s) URL flag (`--tensorboard-url`), or a UsageError. */
export function httpUrlFlag(flag: string, value: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(`${flag}: expected an http(s) URL, got ${value}`);
  }
  return value;
}
