import { describe, expect, it } from 'vitest';
import { cli } from '../cli-process.js';

describe('reprise validate', () => {
  it('`reprise validate` accepts a recipe with --set overrides and refuses a mistyped one with exit 2', async () => {
    const validate = (...a: string[]) => cli(['validate', ...a]);
    const ok = await validate('recipes/countdown-r1/v1.yaml', '--set', 'grpo.steps=5');
    expect(ok.stdout).toBe('recipes/countdown-r1/v1.yaml: valid (countdown-r1 v1)\n');
    const bad = await validate('recipes/countdown-r1/v1.yaml', '--set', 'grpo.steps=five');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('E_INPUT');
    expect(bad.stderr).toContain('--set grpo.steps=five: expected a number');
  }, 120_000);
});
