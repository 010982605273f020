import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

describe('reprise validate', () => {
  it('`reprise validate` accepts a recipe with --set overrides and refuses a mistyped one with exit 2', () => {
    const cli = (...a: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli.ts'), 'validate', ...a], { cwd: root, encoding: 'utf8' });
    const ok = cli('recipes/countdown-r1/v1.yaml', '--set', 'grpo.steps=5');
    expect(ok.stdout).toBe('recipes/countdown-r1/v1.yaml: valid (countdown-r1 v1)\n');
    const bad = cli('recipes/countdown-r1/v1.yaml', '--set', 'grpo.steps=five');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('E_INPUT');
    expect(bad.stderr).toContain('--set grpo.steps=five: expected a number');
  }, 120_000);
});
