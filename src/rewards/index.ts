// The reward registry: small pure functions named as in recipes. Each returns a number, or null where it
// cannot judge (nulls are counted by the trainer, never silently scored).

import { extractAnswer } from '../verify/extract.js';
import { isEquivalent } from '../verify/equal.js';
import { RegistryError } from '../util/errors.js';
import { isR1Format } from '../verify/format.js';

export interface RewardInput {
  completion: string;
  gold: string;
}

export type RewardFn = (x: RewardInput) => number | null;


export const REWARDS: Record<string, { fn: RewardFn; help: string }> = {
  accuracy: {
    help: '1 if the extracted answer equals the gold (gold first), 0 if not, null if the gold cannot be parsed',
    fn: ({ completion, gold }) => {
      const v = isEquivalent(gold, extractAnswer(completion, { strict: true }).pred);
      return v === null ? null : v ? 1 : 0;
    },
  },
  format: {
    help: '1 if the completion is exactly <think>…</think><answer>…</answer>, else 0',
    fn: ({ completion }) => (isR1Format(completion) ? 1 : 0),
  },
};

export const REWARD_NAMES = Object.keys(REWARDS);

export function getReward(name: string): RewardFn {
  const r = REWARDS[name];
  if (!r) throw new RegistryError('reward', name, REWARD_NAMES);
  return r.fn;
}
