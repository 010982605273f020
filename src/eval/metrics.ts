// Evaluation statistics: pass@k, avg@n, majority vote, bootstrap intervals, Wilson intervals and paired significance tests.

import { RepriseError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Estimate, PairedTest } from './results.js';

function fail(message: string, hint?: string): never {
  throw new RepriseError('E_METRIC', message, hint);
}

function checkCount(name: string, x: number): void {
  if (!Number.isInteger(x) || x < 0) fail(`${name} must be a non-negative integer, got ${x}`);
}

function checkScores(name: string, xs: readonly number[]): void {
  if (xs.length === 0) fail(`${name}: no problems to compute a statistic over`);
  const bad = xs.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) fail(`${name}: score at index ${bad} is not a finite number (${xs[bad]})`);
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Linear-interpolation quantile (type 7) of an ascending-sorted array. */
function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** Means of `resamples` resamples of xs drawn with replacement, sorted ascending. */
function bootstrapMeans(xs: readonly number[], resamples: number, rng: Rng): number[] {
  const n = xs.length;
  const out = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(0, n - 1)];
    out[r] = s / n;
  }
  return out.sort((x, y) => x - y);
}

function checkResamples(r: number): number {
  if (!Number.isInteger(r) || r < 1) fail(`resamples must be a positive integer, got ${r}`);
  return r;
}

/** Unbiased pass@k from n samples of which c are correct: 1 - C(n-c,k)/C(n,k), as a product to avoid huge binomials. */
export function passAtK(n: number, c: number, k: number): number {
  checkCount('n', n);
  checkCount('c', c);
  checkCount('k', k);
  if (c > n) fail(`pass@k: c (${c} correct) exceeds n (${n} samples)`);
  if (k > n) fail(`pass@k: k (${k}) exceeds n (${n} samples)`, 'draw at least k samples per problem');
  if (k === 0) fail('pass@k: k must be at least 1');
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** Mean correctness over the first n samples. */
export function avgAtN(correct: readonly boolean[], n: number): number {
  if (!Number.isInteger(n) || n < 1) fail(`avg@n: n must be a positive integer, got ${n}`);
  if (correct.length < n) {
    fail(`avg@${n} asked for ${n} samples but only ${correct.length} exist`, `sample at least ${n} completions per problem`);
  }
  let hits = 0;
  for (let i = 0; i < n; i++) if (correct[i]) hits++;
  return hits / n;
}

/** Most frequent non-null answer; ties go to the answer seen first. */
export function majorityVote(answers: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>(); // insertion order = first occurrence
  for (const a of answers) if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best: string | null = null;
  let bestN = 0;
  for (const [a, n] of counts) if (n > bestN) [best, bestN] = [a, n];
  return best;
}

/** Mean over problems with its standard error and a 95% percentile-bootstrap interval. */
export function meanEstimate(perProblem: readonly number[], opts: { seed: number | string; resamples?: number }): Estimate {
  checkScores('meanEstimate', perProblem);
  const resamples = checkResamples(opts.resamples ?? 2000);
  const n = perProblem.length;
  const value = mean(perProblem);
  let ss = 0;
  for (const x of perProblem) ss += (x - value) ** 2;
  const se = n < 2 ? 0 : Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
  const means = bootstrapMeans(perProblem, resamples, new Rng(opts.seed));
  let lo = quantile(means, 0.025);
  let hi = quantile(means, 0.975);
  if (perProblem.every((x) => x >= 0 && x <= 1)) [lo, hi] = [Math.max(0, lo), Math.min(1, hi)];
  return { value, lo, hi, se, method: `percentile bootstrap over ${n} problems, ${resamples} resamples` };
}

/** Wilson score interval for k successes in n trials. */
export function wilsonInterval(k: number, n: number, z = 1.96): { lo: number; hi: number } {
  checkCount('k', k);
  checkCount('n', n);
  if (k > n) fail(`wilson: k (${k}) exceeds n (${n})`);
  if (n === 0) return { lo: 0, hi: 1 };
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { lo: Math.max(0, center - half), hi: Math.min(1, center + half) };
}

/** Exact two-sided sign-flip p-value by enumerating all 2^n sign patterns (n <= 20). */
export function exactSignFlipP(diffs: readonly number[]): number {
  checkScores('exactSignFlipP', diffs);
  const n = diffs.length;
  if (n > 20) fail(`exactSignFlipP enumerates 2^n patterns; n = ${n} is over the limit of 20`, 'use pairedTest instead');
  const obs = Math.abs(mean(diffs));
  let hits = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += mask & (1 << i) ? -diffs[i] : diffs[i];
    if (Math.abs(s / n) >= obs - 1e-12) hits++;
  }
  return hits / 2 ** n;
}

/** Paired comparison of per-problem scores a and b on the same problems: bootstrap CI of mean(b - a) and a sign-flip test. */
export function pairedTest(
  a: readonly number[],
  b: readonly number[],
  opts: { seed: number | string; resamples?: number; names?: [string, string]; metric?: string },
): PairedTest {
  if (a.length !== b.length) fail(`pairedTest needs scores on the same problems: a has ${a.length}, b has ${b.length}`);
  checkScores('pairedTest a', a);
  checkScores('pairedTest b', b);
  const resamples = checkResamples(opts.resamples ?? 10000);
  const n = a.length;
  const diffs = a.map((x, i) => b[i] - x);
  const obs = mean(diffs);
  const rng = new Rng(opts.seed);
  const means = bootstrapMeans(diffs, resamples, rng.fork('bootstrap'));
  let p = 1;
  if (diffs.some((d) => d !== 0)) {
    const flip = rng.fork('sign-flip');
    let hits = 0;
    for (let r = 0; r < resamples; r++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += flip.next() < 0.5 ? -diffs[i] : diffs[i];
      if (Math.abs(s / n) >= Math.abs(obs) - 1e-12) hits++;
    }
    p = (1 + hits) / (1 + resamples);
  }
  const [nameA, nameB] = opts.names ?? ['a', 'b'];
  return {
    a: nameA,
    b: nameB,
    metric: opts.metric ?? 'score',
    n_problems: n,
    mean_diff: obs,
    lo: quantile(means, 0.025),
    hi: quantile(means, 0.975),
    p_value: p,
    test: `two-sided paired sign-flip permutation test, ${resamples} resamples; 95% CI by percentile bootstrap over ${n} problems`,
  };
}

/** Exact two-sided McNemar test; b01 counts problems a got wrong and b right, b10 the reverse. */
export function mcnemar(aCorrect: readonly boolean[], bCorrect: readonly boolean[]): { b01: number; b10: number; p_value: number } {
  if (aCorrect.length !== bCorrect.length) {
    fail(`mcnemar needs results on the same problems: a has ${aCorrect.length}, b has ${bCorrect.length}`);
  }
  let b01 = 0;
  let b10 = 0;
  aCorrect.forEach((x, i) => {
    if (!x && bCorrect[i]) b01++;
    else if (x && !bCorrect[i]) b10++;
  });
  const m = b01 + b10;
  // P(X <= min(b01, b10)) for X ~ Binomial(m, 1/2), summed in log space so large m does not underflow.
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= Math.min(b01, b10); i++) {
    tail += Math.exp(logC - m * Math.LN2);
    logC += Math.log(m - i) - Math.log(i + 1);
  }
  return { b01, b10, p_value: Math.min(1, 2 * tail) };
}
