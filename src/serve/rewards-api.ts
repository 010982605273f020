// The reward server for trainers outside Reprise (TRL, open-r1): POST /score runs the reward registry itself on a
// batch of completions; GET /rewards lists the registry with each reward's parameter schema. Loopback by default.
//
// Items are grouped by `group`, else by prompt, before scoring, so group-level rewards (length) compare the
// completions of one prompt as in Reprise's GRPO; per-item rewards are unaffected by the grouping.

import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { REWARD_NAMES, describeReward, makeRewardAsync, nullCounts, type RewardInput } from '../rewards/index.js';
import { RegistryError, RepriseError } from '../util/errors.js';
import { listen, type RunningServer } from './server.js';

/** Completions TRL passes are text, or (conversational datasets) a list of messages. */
const Message = z.looseObject({ role: z.string(), content: z.string() });
const Gold = z.union([z.string(), z.number().refine(Number.isFinite, 'must be finite')]);

const Item = z.looseObject({
  prompt: z.union([z.string(), z.array(Message)]).optional(),
  completion: z.union([z.string(), z.array(Message).min(1)]),
  /** The reference answer; the first of gold, answer, solution that is present is used. */
  gold: Gold.optional(),
  answer: Gold.optional(),
  solution: Gold.optional(),
  /** Completion length in tokens (TRL's completion_ids); length rewards count characters without it. */
  length: z.number().int().nonnegative().optional(),
  group: z.union([z.string(), z.number()]).optional(),
});

const RewardSpec = z.strictObject({
  name: z.string(),
  params: z.record(z.string(), z.unknown()).optional(),
  weight: z.number().refine(Number.isFinite, 'must be finite').default(1),
});

export const ScoreRequest = z.strictObject({
  rewards: z.array(RewardSpec).min(1),
  items: z.array(Item).min(1),
});
export type ScoreRequest = z.input<typeof ScoreRequest>;

export interface ScoreResponse {
  rewards: { name: string; params: Record<string, unknown>; weight: number; scores: (number | null)[] }[];
  /** Σ weight × score per item, a null counting 0 (as Reprise's GRPO and TRL's nansum do). */
  total: number[];
  /** Items with no gold, answer or solution: rewards that compare with a reference return null for them. */
  warnings: string[];
  /** Nulls so far in this server's life, by reward and reason. */
  nulls: Record<string, Record<string, number>>;
}

export interface RewardsAppOptions {
  /** Largest accepted request body (default 64 MiB). */
  maxBodyBytes?: number;
}

const fieldOf = (path: PropertyKey[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

const bad = (field: string, message: string) => ({ error: { code: 'E_INPUT', field, message: `${field}: ${message}` } });

function completionText(c: z.infer<typeof Item>['completion']): string {
  return typeof c === 'string' ? c : c.filter((m) => m.role === 'assistant').map((m) => m.content).join('\n');
}

function goldOf(x: z.infer<typeof Item>): string | undefined {
  const g = x.gold ?? x.answer ?? x.solution;
  return g === undefined ? undefined : String(g);
}

/** Scores every item with every reward; throws RepriseError (with a field) on a bad reward name or parameters. */
export async function scoreBatch(req: z.infer<typeof ScoreRequest>): Promise<ScoreResponse> {
  const fns = req.rewards.map((r, i) => {
    try {
      return makeRewardAsync(r.name, r.params);
    } catch (e) {
      throw Object.assign(e as Error, { field: `rewards[${i}].${e instanceof RegistryError ? 'name' : 'params'}` });
    }
  });
  const inputs: RewardInput[] = req.items.map((x) => ({ completion: completionText(x.completion), gold: goldOf(x) ?? '', length: x.length }));
  const groups = new Map<string, number[]>();
  req.items.forEach((x, i) => {
    const key = x.group !== undefined ? `g:${JSON.stringify(x.group)}` : x.prompt !== undefined ? `p:${JSON.stringify(x.prompt)}` : `i:${i}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const rewards = await Promise.all(
    fns.map(async (fn, r) => {
      const scores = new Array<number | null>(inputs.length).fill(null);
      await Promise.all(
        [...groups.values()].map(async (idx) => {
          const out = await fn(idx.map((i) => inputs[i]));
          idx.forEach((i, k) => (scores[i] = out[k]));
        }),
      );
      const spec = req.rewards[r];
      return { name: spec.name, params: spec.params ?? {}, weight: spec.weight, scores };
    }),
  );
  const total = inputs.map((_, i) => rewards.reduce((acc, r) => acc + r.weight * (r.scores[i] ?? 0), 0));
  const noGold = req.items.filter((x) => goldOf(x) === undefined).length;
  const warnings = noGold ? [`${noGold} of ${req.items.length} items have no gold, answer or solution field; rewards that compare with a reference return null for them`] : [];
  return { rewards, total, warnings, nulls: nullCounts() };
}

export function createRewardsApp({ maxBodyBytes = 64 * 1024 * 1024 }: RewardsAppOptions = {}): Hono {
  const app = new Hono();

  app.get('/rewards', (c) =>
    c.json({
      rewards: REWARD_NAMES.map((name) => {
        const d = describeReward(name);
        return { name, help: d.help, group: d.group, async: d.async, params: z.toJSONSchema(d.params, { io: 'input' }) };
      }),
    }),
  );

  app.post(
    '/score',
    bodyLimit({ maxSize: maxBodyBytes, onError: (c) => c.json(bad('body', `larger than the limit of ${maxBodyBytes} bytes`), 413) }),
    async (c) => {
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        return c.json(bad('body', 'not valid JSON'), 400);
      }
      const parsed = ScoreRequest.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return c.json(bad(fieldOf(issue.path) || 'body', issue.message), 400);
      }
      try {
        return c.json(await scoreBatch(parsed.data));
      } catch (e) {
        const field = (e as { field?: string }).field;
        if (e instanceof RepriseError && field) return c.json(bad(field, e.message), 400);
        throw e;
      }
    },
  );

  app.notFound((c) => c.json({ error: { code: 'E_NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}; routes: GET /rewards, POST /score` } }, 404));
  app.onError((err, c) => {
    console.error(err);
    return c.json({ error: { code: 'E_INTERNAL', message: err.message } }, 500);
  });
  return app;
}

export function startRewardsServer(opts: RewardsAppOptions & { host?: string; port?: number } = {}): Promise<RunningServer> {
  return listen(createRewardsApp(opts), opts.host ?? '127.0.0.1', opts.port ?? 0);
}
