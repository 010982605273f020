import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runRecipe } from '../../src/pipeline/run.js';
import { validateRecipe } from '../../src/pipeline/recipe-data.js';
import { loadRecipe } from '../../src/config/recipe.js';
import { loadDatagenRecipe } from '../../src/config/datagen-spec.js';
import { loadAndCheck } from '../../datagen/build.js';
import type { InputError } from '../../src/util/errors.js';

// Each bad recipe is the tiny test recipe with one line changed; each must be refused before any work starts,
// as an E_INPUT naming the file, the line and the key.
const tiny = readFileSync(resolve(__dirname, '../fixtures/tiny-recipe.yaml'), 'utf8');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

function refusal(load: (file: string) => unknown, text: string): InputError {
  const file = join(mkdtempSync(join(tmpdir(), 'reprise-bad-')), 'r.yaml');
  writeFileSync(file, text);
  try {
    load(file);
  } catch (e) {
    const err = e as InputError;
    expect(err.code, err.stack).toBe('E_INPUT');
    expect(err.file).toBe(file);
    return err;
  }
  throw new Error('accepted');
}
const recipe = (from: string, to: string) => {
  expect(tiny).toContain(from);
  const text = tiny.replace(from, to);
  return { text, line: lineOf(text, to.trim().split('\n')[0]) };
};
const refuseRecipe = (from: string, to: string, field: string, message: RegExp) => {
  const { text, line } = recipe(from, to);
  const e = refusal(validateRecipe, text);
  expect([e.field, e.line]).toEqual([field, line]);
  expect(e.message).toMatch(message);
};

describe('sizes are bounded before any work', () => {
  it('sft.batch_size: 1e9 (which aborted V8)', () => refuseRecipe('batch_size: 16', 'batch_size: 1e9', 'sft.batch_size', /too big.*4096/i));
  it('d_model: 100000', () => refuseRecipe('d_model: 32', 'd_model: 100000', 'model.d_model', /too big.*8192/i));
  it('datagen count: 1e12, in a recipe and in a datagen recipe', () => {
    refuseRecipe('sft: { count: 300,', 'sft: { count: 1e12,', 'datagen.splits.sft.count', /too big/i);
    const e = refusal(loadAndCheck, 'name: t\nversion: 1\ndatasets:\n  - kind: synthetic\n    name: a\n    family: tiny_r1_addition\n    seed: 1\n    splits:\n      train: { count: 1000000000000, digit_weights: [1] }\n');
    expect([e.field, e.line]).toEqual(['datasets.0.splits.train.count', 9]);
  });
});

describe('memory needs are checked against what the backend holds', () => {
  it('refuses a model whose weights, gradients and Adam moments exceed the 4 GiB wasm heap, with the numbers', () =>
    refuseRecipe('d_model: 32\n  n_layer: 1\n  n_head: 2', 'd_model: 4096\n  n_layer: 32\n  n_head: 32', 'model.d_model', /needs about \d+(\.\d)? GiB .*6\.4 billion parameters.*wasm heap holds 4 GiB/));
  it('refuses a batch whose activations exceed it, naming the batch size', () => {
    const text = tiny.replace('n_layer: 1', 'n_layer: 8').replace('batch_size: 16', 'batch_size: 4096');
    const e = refusal(validateRecipe, text);
    expect([e.field, e.line]).toEqual(['sft.batch_size', lineOf(text, 'batch_size: 4096')]);
    expect(e.message).toMatch(/SFT needs about \d+(\.\d)? GiB .*activations of a batch of 4096 × 96 tokens: \d+(\.\d)? GiB\) but the wasm heap holds 4 GiB/);
  });
});

describe('digit weights and counts are checked against the generator', () => {
  it('refuses more digit weights than the generator has digits (it made golds like 1.83e+21)', () =>
    refuseRecipe('test: { count: 24, digit_weights: [0, 1, 2, 3] }', 'test: { count: 24, digit_weights: [0, 0, 0, 0, 1] }', 'datagen.splits.test.digit_weights', /tiny_r1_addition draws operands of at most 4 digits; 5 weights given/));
  it('refuses more digit weights than any generator has (before the family is known)', () =>
    refuseRecipe('test: { count: 24, digit_weights: [0, 1, 2, 3] }', 'test: { count: 24, digit_weights: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }', 'datagen.splits.test.digit_weights', /too big.*18/i));
  it('refuses all-zero weights', () => refuseRecipe('test: { count: 24, digit_weights: [0, 1, 2, 3] }', 'test: { count: 24, digit_weights: [0, 0] }', 'datagen.splits.test.digit_weights', /positive/));
  it('refuses a count above the number of distinct problems the weights allow', () =>
    refuseRecipe('test: { count: 24, digit_weights: [0, 1, 2, 3] }', 'test: { count: 200, digit_weights: [1] }', 'datagen.splits.test.count', /200 distinct problems.*allow only 100/));
  it('refuses splits that together need more distinct problems than exist (they are disjoint) at the first stage, naming the split', async () => {
    const { text, line } = recipe('rl: { count: 100, digit_weights: [1, 2, 3, 3] }', 'rl: { count: 100, digit_weights: [1] }');
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bad-'));
    writeFileSync(join(dir, 'r.yaml'), text);
    const e = (await runRecipe({ recipePath: join(dir, 'r.yaml'), workDir: join(dir, 'work'), reportsDir: join(dir, 'reports') }).catch((x: unknown) => x)) as InputError;
    expect([e.code, e.file, e.line, e.field]).toEqual(['E_INPUT', join(dir, 'r.yaml'), line, 'datagen.splits.rl.count']);
    expect(e.message).toMatch(/cannot draw 100 distinct problems/);
  });
});

describe('files that are not what they should be', () => {
  it('a YAML alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefghi'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`)].join('\n');
    const e = refusal(loadRecipe, bomb + '\n');
    expect(e.message).toMatch(/aliases/);
  });
  it('a directory given as a recipe says so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-dir-'));
    for (const load of [loadRecipe, loadDatagenRecipe]) {
      const e = (() => {
        try {
          load(dir);
        } catch (err) {
          return err as InputError;
        }
      })();
      expect(e?.code).toBe('E_INPUT');
      expect(e?.message).toMatch(new RegExp(`^${dir}: is a directory, not a file`));
    }
  });
});
