// Checks a recipe's reward names against the registry (without loading tfjs).

import { REWARD_NAMES, makeReward } from '../rewards/index.js';
import { RegistryError } from '../util/errors.js';

/** Unknown reward names and bad reward parameters, as schema issues with their paths. */
export function checkRewardNames(rewards: readonly { name: string; params?: Record<string, unknown> }[], at: (string | number)[]): { path: (string | number)[]; message: string }[] {
  return rewards.flatMap((r, i) => {
    if (!REWARD_NAMES.includes(r.name)) return [{ path: [...at, i, 'name'], message: new RegistryError('reward', r.name, REWARD_NAMES).message }];
    try {
      makeReward(r.name, r.params);
      return [];
    } catch (e) {
      return [{ path: [...at, i, 'params'], message: (e as Error).message }];
    }
  });
}
