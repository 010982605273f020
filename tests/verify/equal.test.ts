import { describe, expect, it } from 'vitest';
import { PAIRS } from '../fixtures/verify/pairs.js';
import { isEquivalent, judge, verifyStats } from '../../src/verify/equal.js';

describe('the equivalence table', () => {
  it('has at least 150 pairs, both equal and unequal, in every class', () => {
    expect(PAIRS.length).toBeGreaterThanOrEqual(150);
    expect(PAIRS.filter((p) => !p[3]).length).toBeGreaterThanOrEqual(50);
  });

  it.each(PAIRS)('%s: gold %s against %s is equal: %s', (_cls, gold, pred, equal) => {
    expect(judge(gold, pred).verdict).toBe(equal ? 'equal' : 'unequal');
  });
});

describe('isEquivalent', () => {
  it('returns null when the gold itself does not parse, never true', () => {
    expect(isEquivalent('', '5')).toBeNull();
    expect(isEquivalent('\\frac{1}{2', '\\frac{1}{2')).toBeNull();
  });

  it('returns false for a missing prediction against a good gold', () => {
    expect(isEquivalent('5', null)).toBe(false);
  });

  it('is asymmetric: a gold of several solutions is not matched by one of them, while one gold may be matched by a list of one', () => {
    expect(isEquivalent('1,-2', '1')).toBe(false);
    expect(isEquivalent('1', '\\{1\\}')).toBe(true);
  });

  it('decides plain integers on the fast path, tens of thousands per second', () => {
    const t0 = performance.now();
    for (let i = 0; i < 20000; i++) isEquivalent(String(i), String(i % 7 === 0 ? i + 1 : i));
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('bounded checks', () => {
  it('gives "unknown" (counted) instead of an answer when the time limit is already spent', () => {
    const before = verifyStats.timeouts;
    const j = judge('x^2 + 2x + 1', '(x+1)^2', { timeoutMs: -1 });
    expect(j.verdict).toBe('unknown');
    expect(j.via).toBe('timeout');
    expect(verifyStats.timeouts).toBe(before + 1);
  });

  it('refuses factorials too large to evaluate, quickly', () => {
    const t0 = performance.now();
    const j = judge('(10^9)!', '(10^9 + 1)!');
    expect(['unknown', 'unequal']).toContain(j.verdict);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it.each([
    ['power tower', '2^{2^{2^{2^{2^{2}}}}}', '2^{2^{2^{2^{2^{3}}}}}'],
    ['deep nesting', '{'.repeat(500) + '1' + '}'.repeat(500), '1'],
    ['a very long answer', '5001', '1+'.repeat(5000) + '1'],
    ['a huge binomial', '\\binom{10^{9}}{5 \\cdot 10^{8}}', '1'],
  ])('returns within the time limit on %s', (_what, gold, pred) => {
    const t0 = performance.now();
    const j = judge(gold, pred, { timeoutMs: 1000 });
    expect(['equal', 'unequal', 'unknown']).toContain(j.verdict);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
