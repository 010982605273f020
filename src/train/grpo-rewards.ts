// The reward half of a GRPO step, shared by the tfjs loop (grpo.ts) and the torch one (torch-stages.ts): each
// reward function scores each group of G completions, their weighted sum is the total, and the step's log row
// gets the mean, std and null count of each and the completions' lengths.

import type { GrpoConfig } from '../config/recipe.js';
import { makeRewardAsync } from '../rewards/index.js';

export type RewardFns = ReturnType<typeof rewardFnsOf>;

export function rewardFnsOf(cfg: GrpoConfig) {
  return cfg.rewards.map((r) => ({ ...r, fn: makeRewardAsync(r.name, r.params) }));
}

/** Sample i answers prompt floor(i / G); lengths are completion tokens, finished whether it ended before max_tokens. */
export async function scoreSamples(fns: RewardFns, prompts: readonly { answer: string }[], G: number, texts: readonly string[], lengths: readonly number[], finished: readonly boolean[]) {
  const perFn: Record<string, (number | null)[]> = {};
  const total = new Array<number>(texts.length).fill(0);
  for (const r of fns) {
    const groups = await Promise.all(prompts.map((p, g) => r.fn(texts.slice(g * G, (g + 1) * G).map((completion, j) => ({ completion, gold: p.answer, length: lengths[g * G + j], finished: finished[g * G + j] })))));
    perFn[r.name] = groups.flat();
    perFn[r.name].forEach((v, i) => (total[i] += r.weight * (v ?? 0)));
  }
  return { perFn, total };
}

/** The log row's reward and length fields. */
export function rewardRow(perFn: Record<string, (number | null)[]>, total: number[], lengths: readonly number[], finished: readonly boolean[]): Record<string, number> {
  const row: Record<string, number> = {};
  for (const [name, vals] of Object.entries(perFn)) {
    const xs = vals.filter((v): v is number => v !== null);
    row[`reward/${name}/mean`] = mean(xs);
    row[`reward/${name}/std`] = std(xs);
    row[`reward/${name}/nulls`] = vals.length - xs.length;
  }
  row['reward/total/mean'] = mean(total);
  row['reward/total/std'] = std(total);
  row.completion_len = mean(lengths);
  row.truncated_frac = mean(finished.map((f) => (f ? 0 : 1)));
  return row;
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : NaN;
}

/** The population std. */
export function std(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.length ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length) : NaN;
}
