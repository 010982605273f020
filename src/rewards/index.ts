// The reward registry: small pure functions named as in recipes. Parameterised ones are factories that check
// their arguments when built. Each returns a number, or null where it cannot judge; nulls are counted by reason
// (nullCounts) and each new reason is logged once. `length` compares completions of one prompt, so it is
// group-level: score it with scoreGroup; every other reward works item by item and through scoreGroup alike.

import { z } from 'zod';
import { RegistryError, RepriseError } from '../util/errors.js';
import { AnswerParams, correctness, editSimilarity } from './answer.js';
import { CodeFormatParams, CodeRunParams, NEEDS_ASYNC, codeFormat, scoreCodeGroup } from './code.js';
import { CosineParams, OverlongParams, RepetitionParams, cosineScaled, groupLength, lengthOf, repetitionPenalty, softOverlong } from './length.js';
import { settle, type Scored } from './nulls.js';
import { StepsParams, formatReward, reasoningSteps, tagCount } from './structure.js';

export { nullCounts, resetNullCounts } from './nulls.js';

export interface RewardInput {
  completion: string;
  gold: string;
  /** Completion length in tokens, when the caller has them; length rewards use characters otherwise. */
  length?: number;
  /** false when sampling stopped at the length limit: accuracy then credits only an explicit answer marker. */
  finished?: boolean;
}

export type RewardFn = (x: RewardInput) => number | null;
export type GroupRewardFn = (group: RewardInput[]) => (number | null)[];

type ItemScorer = (x: RewardInput) => Scored;
type GroupScorer = (g: RewardInput[]) => Scored[];

interface Def {
  help: string;
  params: z.ZodType<Record<string, unknown>>;
  item?: (p: never) => ItemScorer;
  group?: (p: never) => GroupScorer;
}

const None = z.object({}).strict();
const CodeParams = CodeRunParams as unknown as z.ZodType<Record<string, unknown>>;

const DEFS: Record<string, Def> = {
  accuracy: {
    help: '1 if the extracted answer equals the gold (gold first), 0 if not; null if the gold does not parse; a completion cut off by the length limit is read strictly. Params: preset, strict',
    params: AnswerParams,
    item: (p: AnswerParams) => (x) => correctness(x.completion, x.gold, p, x.finished),
  },
  format: {
    help: '1 if the completion is exactly <think>…</think><answer>…</answer> (optionally one newline around each tag), else 0',
    params: None,
    item: () => (x) => formatReward(x.completion),
  },
  tag_count: {
    help: '0.25 for each of <think>, </think>, <answer>, </answer> that appears exactly once',
    params: None,
    item: () => (x) => tagCount(x.completion),
  },
  reasoning_steps: {
    help: 'min(1, visible reasoning steps / min_steps). Params: min_steps (3)',
    params: StepsParams,
    item: (p: z.infer<typeof StepsParams>) => (x) => reasoningSteps(x.completion, p),
  },
  length: {
    help: 'Kimi 1.5 length reward, normalised within each prompt group: 0.5 − (len − min)/(max − min), wrong answers capped at 0. Group-level',
    params: AnswerParams,
    group: (p: AnswerParams) => (g) => groupLength(g, g.map((x) => correctness(x.completion, x.gold, p))),
  },
  cosine: {
    help: 'cosine length scaling of correctness, clamped past max_len. Params: min/max_value_wrong (−1, −0.5), min/max_value_correct (0.5, 1), max_len (1000)',
    params: CosineParams,
    item: (p: CosineParams) => (x) => {
      const c = correctness(x.completion, x.gold, { preset: 'default', strict: true });
      return typeof c === 'number' ? cosineScaled(lengthOf(x), c, p) : c;
    },
  },
  repetition_penalty: {
    help: 'max_penalty × fraction of repeated word n-grams. Params: ngram_size (3), max_penalty (−1, must be ≤ 0)',
    params: RepetitionParams,
    item: (p: z.infer<typeof RepetitionParams>) => (x) => repetitionPenalty(x.completion, p),
  },
  soft_overlong_punishment: {
    help: 'DAPO soft overlong punishment: 0, then a linear ramp to −1 over the last soft_punish_cache units. Params: max_completion_len (1024), soft_punish_cache (256)',
    params: OverlongParams,
    item: (p: z.infer<typeof OverlongParams>) => (x) => softOverlong(lengthOf(x), p),
  },
  edit_distance: {
    help: 'normalised Levenshtein similarity of the extracted answer to the reference, for text answers. Params: preset, strict',
    params: AnswerParams,
    item: (p: AnswerParams) => (x) => editSimilarity(x.completion, x.gold, p),
  },
  code: { help: 'fraction of test cases passed in the sandbox (async: scored through scoreGroupAsync). Params: language, timeout_s', params: CodeParams, item: () => () => NEEDS_ASYNC },
  binary_code: { help: '1 if every test case passes in the sandbox (async: scored through scoreGroupAsync). Params: language, timeout_s', params: CodeParams, item: () => () => NEEDS_ASYNC },
  code_format: {
    help: '1 for the R1 format with a fenced block of the language inside <answer>. Params: language, think',
    params: CodeFormatParams as unknown as z.ZodType<Record<string, unknown>>,
    item: (p: z.infer<typeof CodeFormatParams>) => (x) => codeFormat(x.completion, p),
  },
};

export const REWARD_NAMES = Object.keys(DEFS);

export const isGroupReward = (name: string): boolean => Boolean(lookup(name).group);

/** A reward's help, its parameters' schema, and whether it is group-level or runs programs (async). */
export function describeReward(name: string): { help: string; params: z.ZodType; group: boolean; async: boolean } {
  const d = lookup(name);
  return { help: d.help, params: d.params, group: Boolean(d.group), async: ASYNC_REWARDS.has(name) };
}

function lookup(name: string): Def {
  const d = DEFS[name];
  if (!d) throw new RegistryError('reward', name, REWARD_NAMES);
  return d;
}

function parseParams(name: string, params: Record<string, unknown> = {}): never {
  const r = lookup(name).params.safeParse(params);
  if (!r.success) throw new RepriseError('E_REWARD_PARAMS', `reward "${name}": invalid parameters\n${z.prettifyError(r.error)}`, lookup(name).help);
  return r.data as never;
}

/** Builds a reward for whole groups (the completions of one prompt); checks its parameters now. */
export function makeReward(name: string, params?: Record<string, unknown>): GroupRewardFn {
  const d = lookup(name);
  const p = parseParams(name, params);
  if (d.group) {
    const fn = d.group(p);
    return (g) => fn(g).map((s) => settle(name, s));
  }
  const fn = d.item!(p);
  return (g) => g.map((x) => settle(name, fn(x)));
}

const ASYNC_REWARDS = new Set(['code', 'binary_code']);

/** Like makeReward, for every reward including those that run programs (code, binary_code). */
export function makeRewardAsync(name: string, params?: Record<string, unknown>): (group: RewardInput[]) => Promise<(number | null)[]> {
  if (!ASYNC_REWARDS.has(name)) {
    const fn = makeReward(name, params);
    return async (g) => fn(g);
  }
  parseParams(name, params);
  return (g) => scoreCodeGroup(name as 'code' | 'binary_code', g, params ?? {});
}

/** Scores one prompt's group of completions with any reward; per-item rewards just map over it. */
export function scoreGroup(name: string, group: RewardInput[], params?: Record<string, unknown>): (number | null)[] {
  return makeReward(name, params)(group);
}

/** A per-item reward; group-level rewards (length) throw, since one completion alone has no group to compare. */
export function getReward(name: string, params?: Record<string, unknown>): RewardFn {
  const d = lookup(name);
  if (d.group) {
    throw new RepriseError('E_REWARD_GROUP', `reward "${name}" is group-level: it compares the completions of one prompt`, `use scoreGroup("${name}", group, params) or makeReward("${name}", params)(group)`);
  }
  const fn = d.item!(parseParams(name, params));
  return (x) => settle(name, fn(x));
}

export const REWARDS: Record<string, { fn: RewardFn; help: string; group: boolean }> = Object.fromEntries(
  REWARD_NAMES.map((name) => [
    name,
    {
      help: DEFS[name].help,
      group: Boolean(DEFS[name].group),
      fn: DEFS[name].group
        ? () => {
            throw new RepriseError('E_REWARD_GROUP', `reward "${name}" is group-level`, `use scoreGroup("${name}", group)`);
          }
        : getReward(name),
    },
  ]),
);
