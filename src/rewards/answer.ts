// Rewards on the extracted answer: accuracy (math equivalence, gold first) and edit_distance (text answers).

import { z } from 'zod';
import { extractAnswer, type ExtractPreset } from '../verify/extract.js';
import { gradeMath } from '../verify/grade-math.js';
import { cleanAnswer } from '../verify/latex.js';
import { levenshtein } from '../util/errors.js';
import type { Scored } from './nulls.js';

export const AnswerParams = z
  .object({
    preset: z.enum(['default', 'math', 'gsm8k']).default('default'),
    strict: z.boolean().default(true),
  })
  .strict();
export type AnswerParams = z.infer<typeof AnswerParams>;

/**
 * 1 or 0 by equivalence of the extracted answer with the gold. The gold goes first (open-r1 once called verify
 * with the two reversed), and a gold that does not parse gives null, never 1.0 as open-r1's did.
 */
export function correctness(completion: string, gold: string, p: AnswerParams, finished?: boolean): Scored {
  const j = gradeMath(gold, completion, { strict: p.strict, preset: p.preset as ExtractPreset, finished });
  if (j.verdict === 'gold_unparsed') return { skip: 'gold answer does not parse' };
  if (j.verdict === 'unknown') return { skip: `equivalence undecided (${j.via})` };
  return j.verdict === 'equal' ? 1 : 0;
}

const textForm = (s: string) => cleanAnswer(s).s.toLowerCase().replace(/\s+/g, ' ').trim();

/** 1 − Levenshtein(pred, gold) / max length, on the cleaned lower-case text; 0 when nothing is extracted. */
export function editSimilarity(completion: string, gold: string, p: AnswerParams): Scored {
  const g = textForm(gold);
  if (g === '') return { skip: 'empty reference answer' };
  const pred = extractAnswer(completion, { strict: p.strict, preset: p.preset as ExtractPreset }).pred;
  if (pred === null) return 0;
  const a = textForm(pred);
  return 1 - levenshtein(a, g) / Math.max(a.length, g.length);
}
