// `reprise run` of the tiny recipe with `sft.lr: 1e308`: the SFT stage stops at its first non-finite step, and the
// run exits non-zero without GRPO, eval or a report.

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../cli-process.js';

const root = resolve(import.meta.dirname, '../..');

describe('reprise run with a learning rate that overflows', () => {
  it('exits non-zero naming the SFT step, and runs no GRPO or eval and writes no report', async () => {
    const base = mkdtempSync(join(tmpdir(), 'reprise-nan-'));
    const recipe = join(base, 'nan.yaml');
    writeFileSync(recipe, readFileSync(join(root, 'tests/fixtures/tiny-recipe.yaml'), 'utf8').replace(/^sft:\n {2}steps: 30\n {2}batch_size: 16\n {2}lr: 0\.003$/m, 'sft:\n  steps: 30\n  batch_size: 16\n  lr: 1e308'));
    expect(readFileSync(recipe, 'utf8')).toMatch(/lr: 1e308/);
    const work = join(base, 'work');
    const reports = join(base, 'reports');
    const r = await cli(['run', recipe, '--work-dir', work, '--reports', reports]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/reprise: error \[E_NONFINITE\]: sft: .* at step \d+; training stopped/);
    const stages = readdirSync(join(work, 'stages'));
    expect(stages.some((s) => s.startsWith('sft-'))).toBe(true);
    expect(stages.filter((s) => /^(grpo|eval)/.test(s))).toEqual([]);
    expect(existsSync(reports) ? readdirSync(reports, { recursive: true }) : []).toEqual([]);
  }, 300_000);
});
