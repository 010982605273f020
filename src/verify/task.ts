// How a task's answers are checked, by the name a dataset family declares: math (the math judge), integer (the
// extracted answer is exactly the gold integer), countdown (TinyZero's check: each given number used once, the
// expression hits the target). The accuracy reward and the eval judge through here.

import { countdownCorrect, lastAnswerTag, parseCountdownGold } from './countdown.js';
import { extractAnswer, type ExtractPreset } from './extract.js';
import { gradeMath } from './grade-math.js';

export const VERIFIERS = ['math', 'integer', 'countdown'] as const;
export type VerifierName = (typeof VERIFIERS)[number];

export interface TaskJudgement {
  pred: string | null;
  /** null: the gold cannot be read, or equivalence is undecided (never counted as right or wrong). */
  correct: boolean | null;
  /** Why correct is null, or the rule that extracted the prediction. */
  why: string;
}

export interface JudgeOptions {
  strict?: boolean;
  preset?: ExtractPreset;
  /** false when sampling stopped at the length limit. */
  finished?: boolean;
}

const INTEGER = /^-?\d+$/;
const intForm = (s: string) => s.replace(/[\s,]/g, '').replace(/^\+/, '');

export function judgeTask(verifier: VerifierName, gold: string, completion: string, o: JudgeOptions = {}): TaskJudgement {
  if (verifier === 'countdown') {
    const g = parseCountdownGold(gold);
    if (!g) return { pred: null, correct: null, why: 'gold is not [numbers]:target' };
    const pred = lastAnswerTag(completion);
    return { pred, correct: pred !== null && countdownCorrect(pred, g.nums, g.target), why: 'answer tag' };
  }
  if (verifier === 'integer') {
    if (!INTEGER.test(intForm(gold))) return { pred: null, correct: null, why: 'gold is not an integer' };
    const x = extractAnswer(completion, { strict: o.strict ?? true, preset: o.preset, finished: o.finished });
    if (x.pred === null) return { pred: null, correct: false, why: 'no answer' };
    const p = intForm(x.pred);
    return { pred: x.pred, correct: INTEGER.test(p) && BigInt(p) === BigInt(intForm(gold)), why: x.rule ?? 'extracted' };
  }
  const j = gradeMath(gold, completion, { strict: o.strict ?? true, preset: o.preset, finished: o.finished });
  if (j.verdict === 'gold_unparsed') return { pred: j.pred ?? null, correct: null, why: 'gold answer does not parse' };
  if (j.verdict === 'unknown') return { pred: j.pred ?? null, correct: null, why: `equivalence undecided (${j.via})` };
  return { pred: j.pred ?? null, correct: j.verdict === 'equal', why: j.via };
}
