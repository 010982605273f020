import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/config/eval-spec.js';
import { loadRecipe } from '../../src/config/recipe.js';
import { recipeSpec, testProblems } from '../../src/eval/stage.js';

const recipe = loadRecipe(resolve(import.meta.dirname, '../../recipes/tiny-r1/v1.yaml')).recipe;

describe("a recipe's eval as eval specs", () => {
  it('prompts, reads and scores the test split as evals/tiny-r1/default.yaml does, with the recipe\'s sampling', () => {
    const shipped = loadSpec('tiny-r1/default').spec;
    const mine = recipeSpec(recipe, 'sampled').spec;
    expect(mine.prompt).toEqual(shipped.prompt);
    expect(mine.scoring).toEqual(shipped.scoring);
    expect(mine.dataset.fields).toEqual(shipped.dataset.fields);
    expect(mine.sampling).toEqual({ temperature: 1, top_p: 1, max_tokens: 80, n: 4, seed: recipe.seed });
    expect(mine.metrics).toEqual({ pass_k: [1, 4], maj_k: [4], bootstrap_resamples: 2000 });
  });

  it('makes its greedy variant with the same override as evals/tiny-r1/greedy.yaml', () => {
    const shipped = loadSpec('tiny-r1/greedy').spec;
    const mine = recipeSpec(recipe, 'greedy');
    expect(mine.id).toBe('tiny-r1/test-greedy');
    expect({ t: mine.spec.sampling.temperature, n: mine.spec.sampling.n, pass: mine.spec.metrics.pass_k, maj: mine.spec.metrics.maj_k }).toEqual({ t: shipped.sampling.temperature, n: shipped.sampling.n, pass: shipped.metrics.pass_k, maj: shipped.metrics.maj_k });
    expect(mine.hash).not.toBe(recipeSpec(recipe, 'sampled').hash);
  });

  it('asks the model with the user turn only, never the teacher\'s answer', () => {
    const [p] = testProblems([{ id: 'a', messages: [{ role: 'user', content: '1+2' }, { role: 'assistant', content: '<answer>3</answer>' }], answer: '3' }]);
    expect(p.messages).toEqual([{ role: 'user', content: '1+2' }]);
  });
});
