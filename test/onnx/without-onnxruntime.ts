import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/shared.ts';

/**
 * Runs `script` (TypeScript, importing `./src/...`) in a copy of the project whose node_modules
 * lacks onnxruntime-node: src and package.json are copied, every other package is linked. Returns
 * the child's exit status and output.
 */
export function runWithoutOnnxRuntime(script: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'transfer-lab-no-ort-'));
  try {
    cpSync(join(repoRoot, 'src'), join(dir, 'src'), { recursive: true });
    cpSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
    const modules = join(dir, 'node_modules');
    mkdirSync(modules);
    for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
      if (name === 'onnxruntime-node' || name === '.bin' || name.startsWith('.package-lock')) continue;
      symlinkSync(join(repoRoot, 'node_modules', name), join(modules, name));
    }
    writeFileSync(join(dir, 'check.ts'), script);
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'check.ts'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
