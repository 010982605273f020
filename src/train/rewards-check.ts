// Checks a recipe's reward names against the registry (without loading tfjs).

import { REWARD_NAMES } from '../rewards/index.js';
import { RegistryError } from '../util/errors.js';

export function checkRewardNames(rewards: readonly { name: string }[], at: (string | number)[]): { path: (string | number)[]; message: string }[] {
  return rewards.flatMap((r, i) => (REWARD_NAMES.includes(r.name) ? [] : [{ path: [...at, i, 'name'], message: new RegistryError('reward', r.name, REWARD_NAMES).message }]));
}
