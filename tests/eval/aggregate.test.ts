import { describe, expect, it } from 'vitest';
import { checkMetricsFit, computeMetrics, makeScorer, ProblemFolder, type ProblemRow } from '../../src/eval/aggregate.js';
import type { EvalSpec } from '../../src/config/eval-spec.js';

function rowsOf(bits: number[][]): ProblemRow[] {
  const rows: ProblemRow[] = [];
  const n = bits[0].length;
  const f = new ProblemFolder(n, [], 1000, (r) => rows.push(r));
  bits.forEach((b, p) => b.forEach((x, s) => f.add(`p${p}`, '1', s, { pred: x ? '1' : '2', pred_strict: null, correct: !!x, correct_strict: false })));
  return rows;
}
const opts = { seed: 's', resamples: 4000 };

describe('computeMetrics', () => {
  it('gives the unbiased pass@k, avg@n and the standard error computed by hand', () => {
    const m = computeMetrics(rowsOf([[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]]), 4, [1, 2, 4], [], false, opts);
    expect(m['avg@4'].value).toBeCloseTo(0.5, 12);
    expect(m['pass@1'].value).toBeCloseTo(0.5, 12);
    // problem 0: 1 - C(2,2)/C(4,2) = 5/6; problem 2: 1
    expect(m['pass@2'].value).toBeCloseTo((5 / 6 + 0 + 1) / 3, 12);
    expect(m['pass@4'].value).toBeCloseTo(2 / 3, 12);
    // per-problem values 0.5, 0, 1: sample sd 0.5, se = 0.5 / sqrt(3)
    expect(m['avg@4'].se).toBeCloseTo(0.5 / Math.sqrt(3), 12);
  });

  it('puts the 95% bootstrap interval where the resampling distribution says', () => {
    // per-problem scores 0,0,0,1: P(mean = 0) = 0.316 > 2.5%, P(mean >= 0.75) = 5.1% > 2.5% > P(mean = 1) = 0.4%
    const m = computeMetrics(rowsOf([[0], [0], [0], [1]]), 1, [1], [], false, opts);
    expect(m['pass@1']).toMatchObject({ value: 0.25, lo: 0, hi: 0.75 });
    expect(m['pass@1'].method).toBe('percentile bootstrap over 4 problems, 4000 resamples');
  });

  it('reports strict and lenient extraction separately', () => {
    const rows = rowsOf([[1, 1], [1, 0]]);
    expect(computeMetrics(rows, 2, [1], [], false, opts)['avg@2'].value).toBeCloseTo(0.75);
    expect(computeMetrics(rows, 2, [1], [], true, opts)['avg@2'].value).toBe(0);
  });

  it('refuses avg@n when fewer samples exist, with a clear message', () => {
    const rows = rowsOf([[1, 0]]);
    expect(() => computeMetrics(rows, 4, [1], [], false, opts)).toThrowErrorMatchingInlineSnapshot(`
      [RepriseError: avg@4 asked for 4 samples but only 2 exist
        hint: sample at least 4 completions per problem]
    `);
  });

  it('refuses pass@k and maj@k above n before any sampling', () => {
    expect(() => checkMetricsFit(4, [1, 8], [16])).toThrowErrorMatchingInlineSnapshot(`
      [RepriseError: pass@8, maj@16 need more than the 4 samples per problem asked for
        hint: raise --n to 16, or choose a spec variant with smaller k]
    `);
    expect(() => checkMetricsFit(64, [1, 8, 64], [64])).not.toThrow();
  });
});

describe('ProblemFolder', () => {
  it('emits a problem once all n samples arrived, in any order, and scores maj@k by the judge', () => {
    const rows: ProblemRow[] = [];
    const f = new ProblemFolder(3, [3], 1000, (r) => rows.push(r));
    f.add('a', '1/2', 2, { pred: '0.5', pred_strict: null, correct: true, correct_strict: false });
    f.add('a', '1/2', 0, { pred: '3', pred_strict: null, correct: false, correct_strict: false });
    expect(rows).toHaveLength(0);
    expect(f.pending()).toBe(1);
    f.add('a', '1/2', 1, { pred: '\\frac{1}{2}', pred_strict: '\\frac12', correct: true, correct_strict: true });
    expect(rows[0]).toMatchObject({ id: 'a', c: 2, c_strict: 1, correct: [0, 1, 1], maj: { 3: 0 } });
    expect(f.pending()).toBe(0);
  });

  it('judges the majority answer of a countdown or code benchmark by its own scorer, not the math judge', async () => {
    // gold is "[numbers]:target": the math judge never finds an expression equal to it (maj@4 was 0 on every row)
    const scorer = makeScorer({ scoring: { scorer: 'countdown', timeout_ms: 1000 } } as unknown as EvalSpec); // only its scoring is read
    const rows: ProblemRow[] = [];
    const f = new ProblemFolder(3, [3], 1000, (r) => rows.push(r), 'sample');
    const gold = '[3,5,7]:22';
    const done = ['<answer>3*5+7</answer>', '<answer>3+5+7</answer>', '<answer>3*5+7</answer>'];
    for (const [i, c] of done.entries()) f.add('p', gold, i, await scorer(gold, {}, c, true));
    expect(rows[0]).toMatchObject({ c: 2, maj: { 3: 1 }, maj_strict: { 3: 1 } });
  });
});
