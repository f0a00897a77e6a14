import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunRecord } from '../run/record.ts';

/** The code's checkout: its commit and whether it has uncommitted changes; null outside a git checkout. */
export function gitState(cwd = dirname(fileURLToPath(import.meta.url))): RunRecord['git'] {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    const commit = run(['rev-parse', 'HEAD']).trim();
    const dirty = run(['status', '--porcelain']).trim().length > 0;
    return { commit, dirty };
  } catch {
    return null;
  }
}

export function hardwareInfo(gpu: string | null = null): RunRecord['hardware'] {
  const cpus = os.cpus();
  return {
    platform: `${os.platform()}-${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryBytes: os.totalmem(),
    gpu,
    node: process.version,
  };
}

/** The command line as the user would retype it (npm's invocation when run through npm). */
export function commandLine(argv: string[] = process.argv.slice(2)): string[] {
  const npmScript = process.env.npm_lifecycle_event;
  if (npmScript) return ['npm', 'run', npmScript, ...(argv.length ? ['--', ...argv] : [])];
  return ['tsx', 'src/cli/experiment.ts', ...argv];
}
