import { describe, expect, it } from 'vitest';
import { validateRecipe, withFamilyVerifier } from '../../src/pipeline/run.js';
import { InputError } from '../../src/util/errors.js';

const recipe = (name: string) => new URL(`../../recipes/${name}.yaml`, import.meta.url).pathname;

describe('a recipe checks its rewards on reference answers before training', () => {
  it('countdown-r1 gets the countdown verifier from its dataset family', () => {
    const r = withFamilyVerifier(validateRecipe(recipe('countdown-r1/v1')).recipe);
    expect(r.grpo.rewards.find((x) => x.name === 'accuracy')?.params).toEqual({ verifier: 'countdown' });
  });

  it('multiplication-r1 gets the integer verifier; tiny-r1 keeps the math default (and its stage keys)', () => {
    expect(withFamilyVerifier(validateRecipe(recipe('multiplication-r1/v1')).recipe).grpo.rewards[0].params).toEqual({ verifier: 'integer' });
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
