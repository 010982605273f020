// Length-shaped rewards. Lengths are RewardInput.length (tokens) when the caller gives it, else characters.
// Departures from open-r1, each with a test: length is normalised within each prompt's group, not over the batch;
// cosine clamps past max_len instead of rising again on the cosine's next half-period.

import { z } from 'zod';
import type { Scored } from './nulls.js';

export interface Sized {
  completion: string;
  length?: number;
}

export const lengthOf = (x: Sized): number => x.length ?? x.completion.length;

/**
 * Kimi 1.5 length reward over one group of completions of the same prompt: λ = 0.5 − (len − min) / (max − min);
 * a correct answer gets λ, a wrong one min(0, λ); all zero when every length is the same.
 */
export function groupLength(group: Sized[], correct: Scored[]): Scored[] {
  const lens = group.map(lengthOf);
  const lo = Math.min(...lens);
  const hi = Math.max(...lens);
  return group.map((_, i) => {
    const c = correct[i];
    if (typeof c !== 'number') return c;
    if (hi === lo) return 0;
    const lambda = 0.5 - (lens[i] - lo) / (hi - lo);
    return c === 1 ? lambda : Math.min(0, lambda);
  });
}

export const CosineParams = z
  .object({
    min_value_wrong: z.number().default(-1),
    max_value_wrong: z.number().default(-0.5),
    min_value_correct: z.number().default(0.5),
    max_value_correct: z.number().default(1),
    max_len: z.number().int().positive().default(1000),
  })
  .strict()
  .refine((p) => p.min_value_wrong <= p.max_value_wrong, { message: 'min_value_wrong must be <= max_value_wrong' })
  .refine((p) => p.min_value_correct <= p.max_value_correct, { message: 'min_value_correct must be <= max_value_correct' });
export type CosineParams = z.infer<typeof CosineParams>;

/** Short correct answers earn most, short wrong ones lose most; past max_len the value stays at its end point. */
export function cosineScaled(len: number, correct: number, p: CosineParams): number {
  const progress = Math.min(1, len / p.max_len);
  const cos = Math.cos(progress * Math.PI);
  const [lo, hi] = correct === 1 ? [p.min_value_correct, p.max_value_correct] : [p.max_value_wrong, p.min_value_wrong];
  return lo + 0.5 * (hi - lo) * (1 + cos);
}

export const RepetitionParams = z
  .object({
    ngram_size: z.number().int().positive().default(3),
    max_penalty: z.number().max(0, 'max_penalty must be <= 0 (it is a penalty)').default(-1),
  })
  .strict();

/** max_penalty × (1 − distinct word n-grams / all word n-grams); 0 when there are fewer words than n. */
export function repetitionPenalty(completion: string, p: z.infer<typeof RepetitionParams>): number {
  const words = completion.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length < p.ngram_size) return 0;
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i + p.ngram_size <= words.length; i++) {
    seen.add(words.slice(i, i + p.ngram_size).join('\u0001'));
    total++;
  }
  const repeated = 1 - seen.size / total;
  return repeated === 0 ? 0 : repeated * p.max_penalty;
}

export const OverlongParams = z
  .object({
    max_completion_len: z.number().int().positive().default(1024),
    soft_punish_cache: z.number().int().nonnegative().default(256),
  })
  .strict()
  .refine((p) => p.soft_punish_cache < p.max_completion_len, { message: 'soft_punish_cache must be < max_completion_len' });

/** DAPO: 0 up to max − cache, then a linear ramp to −1 at max, and −1 beyond. */
export function softOverlong(len: number, p: z.infer<typeof OverlongParams>): number {
  const free = p.max_completion_len - p.soft_punish_cache;
  if (len <= free) return 0;
  if (len <= p.max_completion_len) return (free - len) / p.soft_punish_cache;
  return -1;
}
