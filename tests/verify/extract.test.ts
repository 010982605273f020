import { describe, expect, it } from 'vitest';
import { extractAnswer, lastBoxed } from '../../src/verify/extract.js';
import { isR1Format } from '../../src/verify/format.js';

describe('extractAnswer', () => {
  it('takes the last \\boxed{} with nested braces, and says so', () => {
    expect(extractAnswer('first \\boxed{1} then \\boxed{\\frac{1}{2}}.')).toEqual({ pred: '\\frac{1}{2}', rule: 'boxed' });
  });

  it('takes only the last of repeated boxes, not a set of them', () => {
    expect(extractAnswer('The answer is \\boxed{1}. Yes, the reason the answer is \\boxed{1} is that…').pred).toBe('1');
  });

  it('reads \\fbox and escaped braces inside a box', () => {
    expect(lastBoxed('\\fbox{\\{1, 2\\}}')).toBe('\\{1, 2\\}');
  });

  it('falls back in order: answer tag, then "the answer is", then ####', () => {
    expect(extractAnswer('<think>x</think><answer> 42 </answer>')).toEqual({ pred: '42', rule: 'answer_tag' });
    expect(extractAnswer('So the final answer is 7.')).toEqual({ pred: '7', rule: 'the_answer_is' });
    expect(extractAnswer('work\n#### 1,234')).toEqual({ pred: '1,234', rule: 'gsm8k_hashes' });
  });

  it('strips markdown emphasis around an answer (Math-Verify read **73** as 73**)', () => {
    expect(extractAnswer('✅ Final Answer: **73**', { strict: true })).toEqual({ pred: '73', rule: 'the_answer_is' });
  });

  it('uses the last number only in lenient mode', () => {
    expect(extractAnswer('we get 3 and then 5')).toEqual({ pred: '5', rule: 'last_number' });
    expect(extractAnswer('we get 3 and then 5', { strict: true })).toEqual({ pred: null, rule: null });
  });

  it('prefers #### over an earlier box with the gsm8k preset, and keeps only the number', () => {
    expect(extractAnswer('\\boxed{3}\n#### $1,200 dollars', { preset: 'gsm8k' })).toEqual({ pred: '1200', rule: 'gsm8k_hashes' });
  });

  it('uses the last $…$ math in lenient math mode', () => {
    expect(extractAnswer('so we have $x = \\frac{1}{2}$', { preset: 'math' })).toEqual({ pred: 'x = \\frac{1}{2}', rule: 'last_math' });
  });

  it('takes a plain number in the last sentence over an earlier span, but not a reference like "step 3" or "(2)"', () => {
    expect(extractAnswer('Check: $3 \\cdot 7 = 21$ given away. So 7 are left.', { preset: 'math' })).toEqual({ pred: '7', rule: 'last_number' });
    expect(extractAnswer('So $x = \\frac{1}{2}$ by equation (2).', { preset: 'math' })).toEqual({ pred: 'x = \\frac{1}{2}', rule: 'last_math' });
    expect(extractAnswer('We get 14 from step 3.', { preset: 'gsm8k' })).toEqual({ pred: '14', rule: 'last_number' });
  });

  it('pairs dollar signs around math, not around prices', () => {
    expect(extractAnswer('It was $20 and then $5, so $x = 15$ is what she paid.', { preset: 'math' })).toEqual({ pred: 'x = 15', rule: 'last_math' });
  });

  it('returns nothing from a completion without an answer', () => {
    expect(extractAnswer('no idea')).toEqual({ pred: null, rule: null });
  });
});

describe('isR1Format', () => {
  it.each([
    ['<think>a</think><answer>1</answer>', true],
    ['<think>\na\n</think>\n<answer>\n1\n</answer>', true],
    ['<think>a</think> <answer>1</answer>', false],
    ['<think>a</think><answer>1</answer> trailing', false],
    ['<think>a</think><answer>1</answer><answer>2</answer>', false],
    ['<answer>1</answer>', false],
  ])('judges %j as formatted: %s', (c, ok) => {
    expect(isR1Format(c)).toBe(ok);
  });
});
