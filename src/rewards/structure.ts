// Rewards on the shape of a completion: the exact think/answer format, tag counts, and visible reasoning steps.

import { z } from 'zod';
import { isR1Format } from '../verify/format.js';

export function formatReward(completion: string): number {
  return isR1Format(completion) ? 1 : 0;
}

const count = (s: string, sub: string) => s.split(sub).length - 1;

/** 0.25 for each of the four tags that appears exactly once (with or without open-r1's newlines). */
export function tagCount(completion: string): number {
  return ['<think>', '</think>', '<answer>', '</answer>'].reduce((acc, t) => acc + (count(completion, t) === 1 ? 0.25 : 0), 0);
}

export const StepsParams = z.object({ min_steps: z.number().int().positive().default(3) }).strict();

const STEP = /Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,/gm;

/** min(1, steps / min_steps), counting "Step n:", numbered and bulleted lines, and First/Next/Finally. */
export function reasoningSteps(completion: string, p: z.infer<typeof StepsParams>): number {
  return Math.min(1, (completion.match(STEP)?.length ?? 0) / p.min_steps);
}
