import { describe, expect, it } from 'vitest';
import { judgeTask } from '../../src/verify/task.js';
import { makeReward } from '../../src/rewards/index.js';

const cd = (expr: string) => `<think>…</think><answer>${expr}</answer>`;

describe('task verifiers', () => {
  it('countdown: an expression using each given number once that hits the target is right', () => {
    expect(judgeTask('countdown', '[6,58,31]:33', cd('(6+58)-31')).correct).toBe(true);
  });

  it('countdown: hitting the target with a number used twice or one left out is wrong', () => {
    expect(judgeTask('countdown', '[6,58,31]:33', cd('58-31+6-6+6')).correct).toBe(false);
    expect(judgeTask('countdown', '[3,30,2]:33', cd('3+30')).correct).toBe(false);
  });

  it('countdown: a gold that is not [numbers]:target cannot be judged', () => {
    expect(judgeTask('countdown', '33', cd('33'))).toMatchObject({ correct: null, why: 'gold is not [numbers]:target' });
  });

  it('integer: exact, with thousands separators read; a decimal is not the integer', () => {
    expect(judgeTask('integer', '1234', '<answer>1,234</answer>').correct).toBe(true);
    expect(judgeTask('integer', '1234', '<answer>1234.5</answer>').correct).toBe(false);
    expect(judgeTask('integer', '123456789012345678901', '<answer>123456789012345678901</answer>').correct).toBe(true);
    expect(judgeTask('integer', '123456789012345678901', '<answer>123456789012345678900</answer>').correct).toBe(false);
  });

  it('the accuracy reward scores a countdown answer 1 with the countdown verifier and 0 with the math one (the defect)', () => {
    const x = [{ completion: cd('(6+58)-31'), gold: '[6,58,31]:33' }];
    expect(makeReward('accuracy', { verifier: 'countdown' })(x)).toEqual([1]);
    expect(makeReward('accuracy')(x)).toEqual([0]);
  });

  it('the accuracy reward refuses an unknown verifier when built', () => {
    expect(() => makeReward('accuracy', { verifier: 'sandbox' })).toThrow(/invalid parameters[\s\S]*verifier/);
  });
});
