// `reprise …` as a real subprocess (through tsx, from the package root), for tests that drive the CLI. Async: a
// blocking spawnSync would starve vitest's worker of its event loop for the whole run.

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const packageRoot = resolve(__dirname, '..');

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'src/cli.ts'), ...args], { cwd: packageRoot, env: { ...process.env, REPRISE_QUIET: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}
