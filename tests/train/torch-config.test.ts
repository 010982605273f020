// backend: torch and accelerate_config in a recipe's sft and grpo sections, and `reprise run --backend torch`.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRecipe, runBackendFlag, withTrainPlacement } from '../../src/config/recipe.js';
import { validateRecipe } from '../../src/pipeline/recipe-data.js';

const hf = 'tests/fixtures/tiny-hf-recipe.yaml';
const gpt = 'tests/fixtures/tiny-recipe.yaml';
const rejection = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('backend torch in a recipe', () => {
  it('a Hugging Face recipe takes backend: torch and an accelerate config file in each training stage', () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'acc-')), 'one.yaml');
    writeFileSync(cfg, 'distributed_type: NO\nnum_processes: 1\n');
    const { recipe } = validateRecipe(hf, ['sft.backend=torch', 'grpo.backend=torch', `grpo.accelerate_config=${cfg}`]);
    expect(recipe.sft?.backend).toBe('torch');
    expect(recipe.grpo).toMatchObject({ backend: 'torch', accelerate_config: cfg });
  });

  it('leaves the stages as they were when absent (their cache keys do not move)', () => {
    const { recipe } = validateRecipe(hf);
    expect('backend' in recipe.sft!).toBe(false);
    expect('accelerate_config' in recipe.grpo!).toBe(false);
  });

  it('refuses backend torch for our GPT model, naming the field', () => {
    const e = rejection(() => validateRecipe(gpt, ['sft.backend=torch']));
    expect(e.message).toMatch(/field "sft\.backend": backend torch trains Hugging Face models \(model: \{path, lora\}\)/);
  });

  it('refuses an accelerate config that is not there, or without backend torch', () => {
    expect(rejection(() => validateRecipe(hf, ['sft.backend=torch', 'sft.accelerate_config=no/such.yaml'])).message).toMatch(/field "sft\.accelerate_config": no such file: no\/such\.yaml/);
    expect(rejection(() => validateRecipe(hf, ['sft.accelerate_config=no/such.yaml'])).message).toMatch(/field "sft\.accelerate_config": accelerate_config is for backend: torch/);
  });

  it('refuses, before any stage runs, an accelerate config the worker cannot use (FSDP1), naming both files', () => {
    const cfg = join(mkdtempSync(join(tmpdir(), 'acc-')), 'fsdp.yaml');
    writeFileSync(cfg, 'compute_environment: LOCAL_MACHINE\ndistributed_type: FSDP\nnum_processes: 2\nfsdp_config:\n  fsdp_version: 1\n');
    const e = rejection(() => validateRecipe(hf, ['sft.backend=torch', `sft.accelerate_config=${cfg}`]));
    expect(e.message).toContain(`field "sft.accelerate_config": ${cfg}, line 5, field "fsdp_config.fsdp_version": fsdp_config.fsdp_version 1 is not supported by the torch worker`);
  });

  it('lists the allowed values of backend', () => {
    const text = readFileSync(hf, 'utf8').replace('sft:\n  steps: 4', 'sft:\n  backend: jax\n  steps: 4');
    const e = rejection(() => parseRecipe(text, 'r.yaml'));
    expect(e.message).toMatch(/^r\.yaml, line 23, field "sft\.backend": .*allowed values: tfjs, torch$/);
  });
});

describe('reprise run --backend torch / --accelerate-config', () => {
  it('torch places the training stages; a tfjs name stays the tfjs backend; anything else lists both kinds', () => {
    expect(runBackendFlag('torch')).toBe('torch');
    expect(runBackendFlag('cpu')).toBe('cpu');
    expect(runBackendFlag(undefined)).toBeUndefined();
    expect(rejection(() => runBackendFlag('cuda')).message).toBe('field "backend": --backend must be one of auto, wasm, blas, cpu, webgpu, torch, got "cuda"');
  });

  it('sets backend and accelerate_config on the sft and grpo stages that exist', () => {
    const { recipe } = validateRecipe(hf);
    const placed = withTrainPlacement(recipe, 'torch', '/x/acc.yaml');
    expect(placed.sft).toMatchObject({ backend: 'torch', accelerate_config: '/x/acc.yaml' });
    expect(placed.grpo).toMatchObject({ backend: 'torch', accelerate_config: '/x/acc.yaml' });
    expect(withTrainPlacement(recipe, undefined, undefined)).toBe(recipe);
    expect(withTrainPlacement({ ...recipe, grpo: undefined }, 'torch', undefined).grpo).toBeUndefined();
  });
});
