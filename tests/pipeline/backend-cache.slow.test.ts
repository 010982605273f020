// Stages computed on another backend are cached apart from wasm's: a cpu run beside a wasm run in one work
// directory trains and evaluates again instead of reusing (and misattributing) the wasm run's stages.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runRecipe } from '../../src/pipeline/run.js';

const root = resolve(__dirname, '../..');
const toy = ['sft.steps=2', 'grpo.steps=1', 'grpo.prompts_per_step=2', 'grpo.group_size=2', 'eval.n_samples=1', 'eval.bootstrap_resamples=100'];

describe('stage cache and backend', () => {
  it('keeps wasm stages and cpu stages apart; wasm keys are unchanged by the split', async () => {
    process.env.REPRISE_QUIET = '1';
    const tmp = mkdtempSync(join(tmpdir(), 'reprise-backend-cache-'));
    const run = (backend?: 'cpu') => runRecipe({ recipePath: 'tests/fixtures/tiny-recipe.yaml', root, workDir: join(tmp, 'work'), reportsDir: join(tmp, `reports-${backend ?? 'wasm'}`), sets: toy, backend });
    await run();
    const wasmStages = readdirSync(join(tmp, 'work', 'stages')).sort();
    const cpu = await run('cpu');
    const all = readdirSync(join(tmp, 'work', 'stages'));
    for (const kind of ['init', 'sft', 'grpo', 'eval-base', 'eval-sft', 'eval-grpo']) expect(all.filter((s) => s.startsWith(`${kind}-`)), kind).toHaveLength(2);
    expect(all.filter((s) => s.startsWith('datagen-'))).toHaveLength(1); // data do not depend on the backend
    expect(cpu.provenance.backend).toBe('cpu');
    await run();
    expect(readdirSync(join(tmp, 'work', 'stages')).sort()).toEqual(all.sort()); // a second wasm run reuses wasm's
    expect(wasmStages.every((s) => all.includes(s))).toBe(true);
  }, 300_000);
});
