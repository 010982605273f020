// From samples to numbers: scores one completion (math: strict and lenient extraction, judged with a deadline;
// code: run in the sandbox), folds samples into per-problem rows as problems complete, and computes avg@n,
// pass@k and maj@k with 95% bootstrap intervals over problems.

import type { EvalSpec } from '../config/eval-spec.js';
import { judge } from '../verify/equal.js';
import { gradeMathBoth } from '../verify/grade-math.js';
import { judgeTask } from '../verify/task.js';
import { extractCode, scoreHumanEval, scoreMbpp, type HumanEvalProblem, type MbppProblem } from '../verify/code-bench.js';
import { avgAtN, majorityVote, meanEstimate, passAtK } from './metrics.js';
import type { Estimate } from './results.js';
import { RepriseError } from '../util/errors.js';

export interface Scored {
  pred: string | null;
  pred_strict: string | null;
  verdict: string;
  verdict_strict: string;
  correct: boolean;
  correct_strict: boolean;
}

/** finished: false when the completion stopped at the length limit (math is then read strictly: src/verify/extract.ts). */
export type Scorer = (gold: string, raw: Record<string, unknown>, completion: string, finished?: boolean) => Promise<Scored>;

export function makeScorer(spec: EvalSpec): Scorer {
  const s = spec.scoring;
  if (s.scorer === 'math') {
    return async (gold, _raw, completion, finished) => {
      const { lenient: l, strict: st } = gradeMathBoth(gold, completion, { preset: s.preset, timeoutMs: s.timeout_ms, finished });
      return { pred: l.pred, pred_strict: st.pred, verdict: l.verdict, verdict_strict: st.verdict, correct: l.verdict === 'equal', correct_strict: st.verdict === 'equal' };
    };
  }
  if (s.scorer === 'countdown' || s.scorer === 'integer') {
    const verifier = s.scorer;
    return async (gold, _raw, completion, finished) => {
      const j = judgeTask(verifier, gold, completion, { strict: true, preset: s.preset, finished });
      const verdict = j.correct === null ? 'unknown' : j.correct ? 'equal' : 'unequal';
      return { pred: j.pred, pred_strict: j.pred, verdict, verdict_strict: verdict, correct: j.correct === true, correct_strict: j.correct === true };
    };
  }
  return async (_gold, raw, completion) => {
    const code = extractCode(completion, 'python');
    const [r] = s.scorer === 'code_humaneval' ? await scoreHumanEval([raw as unknown as HumanEvalProblem], [completion]) : await scoreMbpp([raw as unknown as MbppProblem], [completion]);
    return { pred: code, pred_strict: code, verdict: r.status, verdict_strict: r.status, correct: r.passed, correct_strict: r.passed };
  };
}

/** One problem's outcome, kept after its samples are dropped from memory. */
export interface ProblemRow {
  id: string;
  n: number;
  /** Correct samples, lenient and strict. */
  c: number;
  c_strict: number;
  /** Per sample index, 1 correct / 0 not (avg@n needs the first n). */
  correct: number[];
  correct_strict: number[];
  /** maj@k by k: 1 when the majority answer of the first k samples is right. */
  maj: Record<number, number>;
  maj_strict: Record<number, number>;
}

interface Acc { gold: string; got: number; correct: boolean[]; correct_strict: boolean[]; preds: (string | null)[]; preds_strict: (string | null)[] }

/** Folds samples in any order; a problem's row is made when its n-th sample arrives, and its samples are forgotten. */
export class ProblemFolder {
  private readonly open = new Map<string, Acc>();
  /**
   * majorityBy: 'math' judges the majority answer against the gold with the math judge; 'sample' takes the verdict
   * of a sample that gave that answer — for scorers whose verdict is a function of the answer (countdown, integer,
   * code), whose gold the math judge cannot read.
   */
  constructor(private readonly n: number, private readonly majK: readonly number[], private readonly timeoutMs: number, private readonly onRow: (r: ProblemRow) => void, private readonly majorityBy: 'math' | 'sample' = 'math') {}

  add(problemId: string, gold: string, sample: number, s: Pick<Scored, 'pred' | 'pred_strict' | 'correct' | 'correct_strict'>): void {
    if (sample >= this.n) return;
    let a = this.open.get(problemId);
    if (!a) this.open.set(problemId, (a = { gold, got: 0, correct: [], correct_strict: [], preds: [], preds_strict: [] }));
    a.got++;
    a.correct[sample] = s.correct;
    a.correct_strict[sample] = s.correct_strict;
    a.preds[sample] = s.pred;
    a.preds_strict[sample] = s.pred_strict;
    if (a.got === this.n) {
      this.open.delete(problemId);
      this.onRow(this.row(problemId, a));
    }
  }

  /** Problems still missing samples (a run that was stopped early). */
  pending(): number {
    return this.open.size;
  }

  private row(id: string, a: Acc): ProblemRow {
    const maj = (preds: (string | null)[], correct: boolean[]) => Object.fromEntries(this.majK.map((k) => {
      const m = majorityVote(preds.slice(0, k));
      if (m === null) return [k, 0];
      if (this.majorityBy === 'sample') return [k, correct[preds.indexOf(m)] ? 1 : 0];
      return [k, judge(a.gold, m, { timeoutMs: this.timeoutMs }).verdict === 'equal' ? 1 : 0];
    }));
    const bits = (xs: boolean[]) => xs.map((x) => (x ? 1 : 0));
    return {
      id,
      n: this.n,
      c: a.correct.filter(Boolean).length,
      c_strict: a.correct_strict.filter(Boolean).length,
      correct: bits(a.correct),
      correct_strict: bits(a.correct_strict),
      maj: maj(a.preds, a.correct),
      maj_strict: maj(a.preds_strict, a.correct_strict),
    };
  }
}

/** Refuses, before any sampling, metrics that n samples per problem cannot support. */
export function checkMetricsFit(n: number, passK: readonly number[], majK: readonly number[]): void {
  const bad = [...passK.filter((k) => k > n).map((k) => `pass@${k}`), ...majK.filter((k) => k > n).map((k) => `maj@${k}`)];
  if (bad.length) throw new RepriseError('E_METRIC', `${bad.join(', ')} need more than the ${n} samples per problem asked for`, `raise --n to ${Math.max(...passK, ...majK)}, or choose a spec variant with smaller k`);
}

export function computeMetrics(rows: readonly ProblemRow[], n: number, passK: readonly number[], majK: readonly number[], strict: boolean, opts: { seed: string; resamples: number }): Record<string, Estimate> {
  const pick = (r: ProblemRow) => (strict ? { c: r.c_strict, correct: r.correct_strict, maj: r.maj_strict } : { c: r.c, correct: r.correct, maj: r.maj });
  const est = (name: string, xs: number[]) => meanEstimate(xs, { seed: `${opts.seed}/${name}`, resamples: opts.resamples });
  const out: Record<string, Estimate> = {};
  out[`avg@${n}`] = est(`avg@${n}`, rows.map((r) => avgAtN(pick(r).correct.map(Boolean), n)));
  for (const k of passK) out[`pass@${k}`] = est(`pass@${k}`, rows.map((r) => passAtK(r.correct.length, pick(r).c, k)));
  for (const k of majK) out[`maj@${k}`] = est(`maj@${k}`, rows.map((r) => pick(r).maj[k] ?? 0));
  return out;
}
