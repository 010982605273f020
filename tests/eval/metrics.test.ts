import { describe, expect, it } from 'vitest';
import {
  avgAtN,
  exactSignFlipP,
  majorityVote,
  mcnemar,
  meanEstimate,
  pairedTest,
  passAtK,
  wilsonInterval,
} from '../../src/eval/metrics.js';

describe('passAtK', () => {
  it('equals the hand-computed unbiased estimator on small cases', () => {
    expect(passAtK(5, 2, 1)).toBeCloseTo(0.4, 12);
    expect(passAtK(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12); // 1 - C(3,2)/C(5,2)
    expect(passAtK(10, 0, 3)).toBe(0);
    expect(passAtK(4, 4, 2)).toBe(1);
    expect(passAtK(10, 8, 3)).toBe(1); // only 2 wrong samples, so any 3 include a right one
  });

  it('is c/n at k = 1', () => {
    expect(passAtK(16, 5, 1)).toBeCloseTo(5 / 16, 12);
  });

  it('approaches 1 - (1 - p)^k when n is large', () => {
    expect(passAtK(100000, 30000, 5)).toBeCloseTo(1 - 0.7 ** 5, 4); // 0.83193
    expect(passAtK(200000, 2000, 10)).toBeCloseTo(1 - 0.99 ** 10, 4);
  });

  it('throws a clear error when k or c exceed n or a count is negative', () => {
    expect(() => passAtK(4, 1, 5)).toThrow(/k \(5\) exceeds n \(4 samples\)/);
    expect(() => passAtK(4, 5, 1)).toThrow(/c \(5 correct\) exceeds n \(4 samples\)/);
    expect(() => passAtK(4, -1, 1)).toThrow(/non-negative integer/);
  });
});

describe('avgAtN', () => {
  it('averages the first n samples only', () => {
    expect(avgAtN([true, false, true, true, false], 4)).toBe(0.75);
  });

  it('refuses when fewer than n samples exist and says how many', () => {
    expect(() => avgAtN([true, false, true], 8)).toThrow(/avg@8 asked for 8 samples but only 3 exist/);
  });
});

describe('majorityVote', () => {
  it('returns the most frequent non-null answer', () => {
    expect(majorityVote(['3', null, '5', '5', null, null, '3', '5'])).toBe('5');
  });

  it('breaks ties by earliest first occurrence', () => {
    expect(majorityVote(['7', '2', '2', '7'])).toBe('7');
    expect(majorityVote([null, '2', '7', '7', '2'])).toBe('2');
  });

  it('returns null when there is no non-null answer', () => {
    expect(majorityVote([])).toBeNull();
    expect(majorityVote([null, null])).toBeNull();
  });
});

describe('meanEstimate', () => {
  it('reports the mean and the sample standard error', () => {
    const e = meanEstimate([0, 1, 1, 0], { seed: 1 });
    expect(e.value).toBe(0.5);
    expect(e.se).toBeCloseTo(0.57735 / 2, 5); // sd = sqrt(1/3)
  });

  it('gives zero standard error for a single problem', () => {
    expect(meanEstimate([0.3], { seed: 1 }).se).toBe(0);
  });

  it('builds a bootstrap interval that contains the mean and names its method', () => {
    const xs = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const e = meanEstimate(xs, { seed: 'x' });
    expect(e.lo).toBeLessThan(e.value);
    expect(e.hi).toBeGreaterThan(e.value);
    expect(e.lo).toBeGreaterThanOrEqual(0);
    expect(e.hi).toBeLessThanOrEqual(1);
    // The normal-theory interval is mean ± 1.96 se; the bootstrap one should be near it.
    expect(e.hi - e.lo).toBeGreaterThan(2 * 1.96 * e.se * 0.8);
    expect(e.hi - e.lo).toBeLessThan(2 * 1.96 * e.se * 1.2);
    expect(e.method).toBe('percentile bootstrap over 200 problems, 2000 resamples');
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const xs = [0.1, 0.9, 0.4, 0.7, 0.2, 1, 0, 0.55, 0.3, 0.8];
    const a = meanEstimate(xs, { seed: 7 });
    expect(meanEstimate(xs, { seed: 7 })).toEqual(a);
    const b = meanEstimate(xs, { seed: 8 });
    expect([b.lo, b.hi]).not.toEqual([a.lo, a.hi]);
  });

  it('does not clip the interval when scores fall outside [0, 1]', () => {
    const e = meanEstimate([-3, -1, 2, 5, -4, 0], { seed: 2 });
    expect(e.lo).toBeLessThan(0);
    expect(e.hi).toBeGreaterThan(1);
  });

  it('throws on empty input', () => {
    expect(() => meanEstimate([], { seed: 1 })).toThrow(/no problems/);
  });
});

describe('wilsonInterval', () => {
  it('matches hand-computed bounds for 0/10, 10/10 and 5/10', () => {
    const zero = wilsonInterval(0, 10);
    expect(zero.lo).toBeCloseTo(0, 4);
    expect(zero.hi).toBeCloseTo(0.27754, 4);
    const all = wilsonInterval(10, 10);
    expect(all.lo).toBeCloseTo(0.72246, 4);
    expect(all.hi).toBeCloseTo(1, 4);
    const half = wilsonInterval(5, 10);
    expect(half.lo).toBeCloseTo(0.23659, 4);
    expect(half.hi).toBeCloseTo(0.76341, 4);
  });
});

describe('exactSignFlipP', () => {
  it('counts the sign patterns at least as extreme as observed', () => {
    expect(exactSignFlipP([1, 1, 1])).toBe(0.25); // only +++ and --- reach |mean| 1
    expect(exactSignFlipP([1, -1])).toBe(1);
  });
});

describe('pairedTest', () => {
  it('gives p = 1 and a zero difference when b equals a', () => {
    const a = [1, 0, 1, 1, 0, 0.5];
    const t = pairedTest(a, [...a], { seed: 1 });
    expect(t.p_value).toBe(1);
    expect(t.mean_diff).toBe(0);
    expect(t.lo).toBe(0);
    expect(t.hi).toBe(0);
  });

  it('finds a strong consistent improvement over 30 problems significant', () => {
    const a = Array.from({ length: 30 }, (_, i) => (i % 5) / 10);
    const b = a.map((x, i) => x + 0.2 + (i % 3) * 0.05);
    const t = pairedTest(a, b, { seed: 3, names: ['sft', 'grpo'], metric: 'pass@1' });
    expect(t.p_value).toBeLessThan(0.001);
    expect(t.mean_diff).toBeCloseTo(0.25, 12);
    expect(t.lo).toBeGreaterThan(0.2);
    expect(t.hi).toBeLessThan(0.3);
    expect(t).toMatchObject({ a: 'sft', b: 'grpo', metric: 'pass@1', n_problems: 30 });
    expect(t.test).toMatch(/sign-flip/);
  });

  it('does not find a tiny mixed difference significant', () => {
    const a = Array.from({ length: 20 }, (_, i) => i % 2);
    const b = [...a];
    b[0] = 1; // +1
    b[1] = 0; // -1
    b[2] = 1; // +1
    const t = pairedTest(a, b, { seed: 4 });
    expect(t.mean_diff).toBeCloseTo(1 / 20, 12);
    expect(t.lo).toBeLessThanOrEqual(0);
    expect(t.hi).toBeGreaterThan(0);
    expect(t.p_value).toBeGreaterThan(0.3);
  });

  it('has a Monte Carlo p within 0.02 of the exact sign-flip p', () => {
    const a = [0.2, 0.5, 0.1, 0.4, 0.6, 0.3, 0.5, 0.2, 0.7, 0.4, 0.3, 0.5];
    const d = [0.3, -0.1, 0.2, 0.15, -0.2, 0.1, 0.25, 0, 0.05, -0.05, 0.2, 0.1];
    const b = a.map((x, i) => x + d[i]);
    const exact = exactSignFlipP(d);
    expect(exact).toBeGreaterThan(0.01);
    expect(exact).toBeLessThan(0.5);
    expect(Math.abs(pairedTest(a, b, { seed: 5 }).p_value - exact)).toBeLessThan(0.02);
  });

  it('is deterministic for a seed', () => {
    const a = [0, 1, 0, 1, 0.5, 0.25];
    const b = [1, 1, 0, 0.5, 1, 0.75];
    expect(pairedTest(a, b, { seed: 9 })).toEqual(pairedTest(a, b, { seed: 9 }));
  });

  it('throws when a and b have different lengths', () => {
    expect(() => pairedTest([1, 0], [1], { seed: 1 })).toThrow(/same problems: a has 2, b has 1/);
  });
});

describe('mcnemar', () => {
  it('matches the exact binomial p on a hand example', () => {
    const a = [true, true, true, true, true, true, true, false, false, true];
    const b = [false, false, false, false, false, false, true, false, false, true];
    const r = mcnemar(a, b);
    expect([r.b01, r.b10]).toEqual([0, 6]);
    expect(r.p_value).toBeCloseTo(2 * 0.5 ** 6, 12); // 0.03125
  });

  it('gives p = 1 when the discordant counts are balanced or absent', () => {
    expect(mcnemar([true, false], [false, true]).p_value).toBe(1);
    expect(mcnemar([true, false], [true, false])).toEqual({ b01: 0, b10: 0, p_value: 1 });
  });

  it('sums the binomial tail for an unbalanced split', () => {
    // b01 = 1, b10 = 5: p = 2 * (C(6,0) + C(6,1)) / 64 = 14/64
    const a = [false, true, true, true, true, true];
    const b = [true, false, false, false, false, false];
    expect(mcnemar(a, b).p_value).toBeCloseTo(14 / 64, 12);
  });
});
