import { describe, expect, it } from 'vitest';
import { validateRecipe, withFamilyVerifier } from '../../src/pipeline/recipe-data.js';
import { InputError } from '../../src/util/errors.js';

const recipe = (name: string) => new URL(`../../recipes/${name}.yaml`, import.meta.url).pathname;

describe('a recipe checks its rewards on reference answers before training', () => {
  it('countdown-r1 gets the countdown verifier from its dataset family', () => {
    const r = withFamilyVerifier(validateRecipe(recipe('countdown-r1/v1')).recipe);
    expect(r.grpo?.rewards.find((x) => x.name === 'accuracy')?.params).toEqual({ verifier: 'countdown' });
  });

  it('multiplication-r1 gets the integer verifier; tiny-r1 keeps the math default (and its stage keys)', () => {
    expect(withFamilyVerifier(validateRecipe(recipe('multiplication-r1/v1')).recipe).grpo?.rewards[0].params).toEqual({ verifier: 'integer' });
    const t = validateRecipe(recipe('tiny-r1/v1')).recipe;
    expect(withFamilyVerifier(t)).toBe(t);
  });

  it('a countdown recipe whose accuracy reward cannot score the teacher is refused, naming the reward and an example', () => {
    let e: unknown;
    try {
      validateRecipe(recipe('countdown-r1/v1'), ['grpo.rewards.0.params={verifier: math}']);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    expect(err.field).toBe('grpo.rewards.0.name');
    expect(err.message).toMatch(/reward "accuracy" gives 0 to 16 of 16 reference answers, e\.g\. row \S+: gold "\[[\d,]+\]:\d+", answer "<think>/);
  });
});

describe("a recipe's eval judges with its family's verifier", () => {
  it('countdown-r1 evaluates with the countdown scorer, which credits a right expression and refuses a reused number', async () => {
    const { recipeSpec } = await import('../../src/eval/stage.js');
    const { makeScorer } = await import('../../src/eval/aggregate.js');
    const spec = recipeSpec(withFamilyVerifier(validateRecipe(recipe('countdown-r1/v1')).recipe), 'sampled').spec;
    expect(spec.scoring.scorer).toBe('countdown');
    const score = makeScorer(spec);
    expect((await score('[6,58,31]:33', {}, '<think></think><answer>(6+58)-31</answer>', true)).correct).toBe(true);
    expect((await score('[6,58,31]:33', {}, '<think></think><answer>58-31+6-6+6</answer>', true))).toMatchObject({ correct: false, verdict: 'unequal' });
  });

  it('tiny-r1 keeps the math scorer', async () => {
    const { recipeSpec } = await import('../../src/eval/stage.js');
    expect(recipeSpec(withFamilyVerifier(validateRecipe(recipe('tiny-r1/v1')).recipe), 'sampled').spec.scoring.scorer).toBe('math');
  });
});
