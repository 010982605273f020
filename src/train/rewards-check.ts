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

/** Rewards that a correct, well-formed reference answer must earn something from (the rest are penalties or relative). */
const MUST_SCORE = new Set(['accuracy', 'format', 'tag_count', 'edit_distance']);

export interface ReferenceAnswer {
  id: string;
  completion: string;
  gold: string;
}

/**
 * Scores reference answers (the teacher's, or the dataset's) with a recipe's rewards before anything trains: a
 * reward that gives a correct answer nothing (0, or null: cannot judge) would train on noise and report 0%.
 * Returns an issue naming the reward and the first such example, at the reward's path.
 */
export function referenceAnswerIssues(
  rewards: readonly { name: string; params?: Record<string, unknown> }[],
  refs: readonly ReferenceAnswer[],
  at: (string | number)[],
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  rewards.forEach((r, i) => {
    if (!MUST_SCORE.has(r.name)) return;
    const scores = makeReward(r.name, r.params)(refs.map((x) => ({ completion: x.completion, gold: x.gold })));
    const k = scores.findIndex((s) => s === null || s <= 0);
    if (k < 0) return;
    const x = refs[k];
    const bad = scores.filter((s) => s === null || s <= 0).length;
    issues.push({
      path: [...at, i, 'name'],
      message:
        `reward "${r.name}" gives ${scores[k] === null ? 'no score (cannot judge)' : scores[k]} to ${bad} of ${refs.length} reference answers, e.g. row ${x.id}: gold ${JSON.stringify(x.gold)}, answer ${JSON.stringify(x.completion.slice(-160))}; ` +
        `training on it would learn nothing (params: ${JSON.stringify(r.params ?? {})}). Check the reward's verifier/preset against the dataset's answers`,
    });
  });
  return issues;
}
