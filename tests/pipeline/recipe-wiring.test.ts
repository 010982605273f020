// What a recipe's model, stages, dataset sources and benchmarks need of each other, checked before anything runs.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateRecipe } from '../../src/pipeline/recipe-data.js';
import { evalBenchmarks } from '../../src/config/recipe.js';
import type { RepriseError } from '../../src/util/errors.js';

const ENDPOINT = 'name: ev\nversion: 1\nseed: 0\nmodel: { endpoint: "http://127.0.0.1:9/v1", name: m }\neval:\n  models: [base]\n  benchmarks: [math500/open-r1]\n';
const HF = 'name: hf\nversion: 1\nseed: 0\nmodel: { path: tests/fixtures/hf/qwen2 }\n';
const SFT = 'sft: { steps: 1, batch_size: 1, lr: 0.001, dataset: { benchmark: gsm8k/train, completion_column: answer } }\n';

function check(text: string, sets: string[] = []): RepriseError | undefined {
  const file = join(mkdtempSync(join(tmpdir(), 'reprise-wiring-')), 'v1.yaml');
  writeFileSync(file, text);
  try {
    validateRecipe(file, sets);
  } catch (e) {
    return e as RepriseError;
  }
  return undefined;
}

describe('recipe wiring', () => {
  it('accepts an eval-only recipe against an endpoint, without datagen', () => {
    expect(check(ENDPOINT)).toBeUndefined();
  });

  it('accepts SFT of a checkpoint on a benchmark\'s split, evaluated on a benchmark, without datagen', () => {
    expect(check(`${HF}${SFT}eval: { models: [base, sft], benchmarks: [gsm8k/default], paired: [base, sft] }\n`)).toBeUndefined();
  });

  it('refuses training stages on an endpoint model', () => {
    expect(check(`${ENDPOINT}${SFT}`)?.message).toMatch(/line 8.*field "sft": a model behind an endpoint is evaluated only/s);
  });

  it('says what needs datagen when a recipe lacks it', () => {
    const e = check(`${HF}eval: { models: [base], n_samples: 1, temperature: 1, max_tokens: 8 }\n`);
    expect(e?.message).toContain('the recipe has no datagen section, which the "test" benchmark (the held-out split) needs');
  });

  it('names an unknown benchmark with the eval specs there are', () => {
    const e = check(ENDPOINT, ['eval.benchmarks=[math500/open-r2]']);
    expect(e?.message).toMatch(/eval\.benchmarks\.0.*math500\/open-r2.*did you mean.*math500\/open-r1/s);
  });

  it('asks for the held-out split\'s sampling when "test" is evaluated without it', () => {
    const e = check(`${HF}datagen:\n  generator: tiny_r1_addition\n  splits: { sft: { count: 10, digit_weights: [1] }, rl: { count: 10, digit_weights: [1] }, test: { count: 5, digit_weights: [0, 1] } }\neval: { models: [base], benchmarks: [test, gsm8k/default] }\n`);
    expect(e?.message).toContain('the "test" benchmark (the held-out split) samples as eval.n_samples says; set it');
  });

  it('refuses two SFT sources, and a dataset naming neither', () => {
    expect(check(`${HF}sft: { steps: 1, batch_size: 1, lr: 0.001, dataset: { completion_column: answer } }\neval: { models: [base], benchmarks: [gsm8k/default] }\n`)?.message).toContain('name one source: from_datagen');
    expect(check(`${HF}sft: { steps: 1, batch_size: 1, lr: 0.001, dataset: { from_datagen: datagen-distill-gsm8k/v1, benchmark: gsm8k/train } }\neval: { models: [base], benchmarks: [gsm8k/default] }\n`)?.message).toContain('name one source: from_datagen');
  });

  it('reads `<recipe>/test` in eval.benchmarks as the held-out split', () => {
    expect(evalBenchmarks({ name: 'tiny-r1', eval: { benchmarks: ['tiny-r1/test', 'gsm8k/default'] } as never })).toEqual(['test', 'gsm8k/default']);
    expect(evalBenchmarks({ name: 'tiny-r1', eval: {} as never })).toEqual(['test']);
  });
});
