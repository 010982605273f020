// The one judge of a math completion: extraction by preset, then equivalence with the gold, gold first. The GRPO
// accuracy reward, `reprise grade`, the eval scorer and distillation's filter all call gradeMath, and the
// benchmark-to-preset table lives here only, so no two of them can grade the same completion differently.

import { extractAnswer, type ExtractPreset, type ExtractRule } from './extract.js';
import { judge, type Judgement, type Verdict } from './equal.js';

export interface GradeOptions {
  preset?: ExtractPreset;
  /** Explicit answer markers only (no bare number or last $…$). */
  strict?: boolean;
  /** false for a completion cut off by the length limit: read strictly (extract.ts says why). */
  finished?: boolean;
  timeoutMs?: number;
  relTol?: number;
}

export interface MathGrade {
  pred: string | null;
  rule: ExtractRule | null;
  verdict: Verdict;
  /** The test that decided, or why none could: no_answer, pred_unparsed, too_long, timeout, … */
  via: string;
  /** null when the gold itself does not parse; an undecided check is false (and counted in verifyStats). */
  correct: boolean | null;
}

export function gradeMath(gold: string, completion: string, opts: GradeOptions = {}): MathGrade {
  const { pred, rule } = extractAnswer(completion, opts);
  return graded(pred, rule, judge(gold, pred, opts));
}

function graded(pred: string | null, rule: ExtractRule | null, j: Judgement): MathGrade {
  return { pred, rule, verdict: j.verdict, via: j.via, correct: j.verdict === 'gold_unparsed' ? null : j.verdict === 'equal' };
}

/** Lenient and strict grades of one completion (an eval reports both); one check when both extract the same answer. */
export function gradeMathBoth(gold: string, completion: string, opts: Omit<GradeOptions, 'strict'> = {}): { lenient: MathGrade; strict: MathGrade } {
  const strict = gradeMath(gold, completion, { ...opts, strict: true });
  const { pred, rule } = extractAnswer(completion, opts);
  if (pred === strict.pred) return { lenient: { ...strict, rule }, strict };
  return { lenient: graded(pred, rule, judge(gold, pred, opts)), strict };
}

/** Benchmark names (as in evals/) to extraction presets. */
export const BENCHMARK_PRESETS: Record<string, ExtractPreset> = {
  gsm8k: 'gsm8k', math: 'math', math500: 'math', 'math-500': 'math', aime24: 'math', aime25: 'math', amc23: 'math',
};

/** The preset for a benchmark name, case-insensitive; undefined when it has none (callers then use "default"). */
export function presetFor(benchmark: string): ExtractPreset | undefined {
  return BENCHMARK_PRESETS[benchmark.toLowerCase()];
}
