import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REWARD_NAMES } from '../../src/rewards/index.js';
import { createRewardsApp, startRewardsServer, type ScoreResponse } from '../../src/serve/rewards-api.js';
import type { RunningServer } from '../../src/serve/server.js';
import { MATH_ITEMS, MATH_REWARDS, registryScores } from './reward-cases.js';

const app = createRewardsApp();
const post = (body: unknown, a = app) =>
  a.request('/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

let server: RunningServer;
beforeAll(async () => {
  server = await startRewardsServer({ port: 0 });
});
afterAll(async () => server.close());

describe('the reward server', () => {
  it('gives every reward the scores the registry gives, item by item, grouped by prompt', async () => {
    const res = await post({ rewards: MATH_REWARDS, items: MATH_ITEMS });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScoreResponse;
    const want = await registryScores(MATH_REWARDS, MATH_ITEMS);
    expect(body.rewards.map((r) => r.scores)).toEqual(want);
    expect(body.rewards.map((r) => r.name)).toEqual(MATH_REWARDS.map((r) => r.name));
    // the cases are not trivial: right and wrong answers, and a null where the gold does not parse
    expect(want[0].slice(0, 3)).toEqual([1, 0, 0]);
    expect(want[0][9]).toBeNull();
  });

  it('passes token lengths to the length rewards and groups by the group field when given', async () => {
    const items = MATH_ITEMS.slice(0, 4).map((x, i) => ({ ...x, length: [50, 10, 30, 70][i], group: i < 2 ? 'a' : 'b' }));
    const res = await post({ rewards: [{ name: 'length' }, { name: 'cosine' }], items });
    const body = (await res.json()) as ScoreResponse;
    const a = await registryScores([{ name: 'length' }, { name: 'cosine' }], items.slice(0, 2), [50, 10]);
    const b = await registryScores([{ name: 'length' }, { name: 'cosine' }], items.slice(2), [30, 70]);
    expect(body.rewards.map((r) => r.scores)).toEqual([0, 1].map((k) => [...a[k], ...b[k]]));
  });

  it('sums weight × score per item, counting a null as 0', async () => {
    const res = await post({ rewards: [{ name: 'accuracy', weight: 2 }, { name: 'format', weight: 0.5 }], items: MATH_ITEMS });
    const body = (await res.json()) as ScoreResponse;
    const [acc, fmt] = body.rewards.map((r) => r.scores);
    expect(body.total).toEqual(acc.map((a, i) => 2 * (a ?? 0) + 0.5 * (fmt[i] ?? 0)));
  });

  it('warns when items have no gold, answer or solution', async () => {
    const res = await post({ rewards: [{ name: 'accuracy' }], items: [{ completion: '<answer>1</answer>' }] });
    const body = (await res.json()) as ScoreResponse;
    expect(body.rewards[0].scores).toEqual([null]);
    expect(body.warnings).toEqual(['1 of 1 items have no gold, answer or solution field; rewards that compare with a reference return null for them']);
  });

  it('answers 400 naming the field for a missing completion, a bad reward name or bad parameters', async () => {
    const cases: [unknown, string][] = [
      [{ rewards: [{ name: 'accuracy' }], items: [{ completion: 'a' }, { answer: '1' }] }, 'items[1].completion'],
      [{ rewards: [{ name: 'acuracy' }], items: [{ completion: 'a' }] }, 'rewards[0].name'],
      [{ rewards: [{ name: 'format' }, { name: 'cosine', params: { max_len: -3 } }], items: [{ completion: 'a' }] }, 'rewards[1].params'],
      [{ rewards: [], items: [{ completion: 'a' }] }, 'rewards'],
      [{ rewards: [{ name: 'format' }], items: [{ completion: 'a', answer: { x: 1 } }] }, 'items[0].answer'],
      [{ rewards: [{ name: 'format' }], items: [{ completion: 'a' }], extra: 1 }, 'body'],
      ['{"rewards": [', 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = ((await res.json()) as { error: { code: string; field: string; message: string } }).error;
      expect(err.field, JSON.stringify(body)).toBe(field);
      expect(err.code).toBe('E_INPUT');
    }
    const unknown = (await (await post(cases[1][0])).json()) as { error: { message: string } };
    expect(unknown.error.message).toContain('did you mean "accuracy"?');
  });

  it('answers 413 for a body over the limit', async () => {
    const small = createRewardsApp({ maxBodyBytes: 1000 });
    const res = await post({ rewards: [{ name: 'format' }], items: [{ completion: 'x'.repeat(2000) }] }, small);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe('body');
  });

  it('lists every reward of the registry with its parameters as JSON schema', async () => {
    const res = await app.request('/rewards');
    const body = (await res.json()) as { rewards: { name: string; group: boolean; async: boolean; params: { properties?: Record<string, unknown> } }[] };
    expect(body.rewards.map((r) => r.name)).toEqual(REWARD_NAMES);
    const cosine = body.rewards.find((r) => r.name === 'cosine')!;
    expect(Object.keys(cosine.params.properties ?? {})).toEqual(['min_value_wrong', 'max_value_wrong', 'min_value_correct', 'max_value_correct', 'max_len']);
    expect(body.rewards.find((r) => r.name === 'length')!.group).toBe(true);
    expect(body.rewards.find((r) => r.name === 'code')!.async).toBe(true);
  });

  it('serves the same scores over a real port on loopback', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(`${server.url}score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rewards: MATH_REWARDS, items: MATH_ITEMS }) });
    const body = (await res.json()) as ScoreResponse;
    expect(body.rewards.map((r) => r.scores)).toEqual(await registryScores(MATH_REWARDS, MATH_ITEMS));
  });
});
