// The sample browser's problem filter and the side-by-side view: lookups, defaults, escaping and stepping through problems.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/serve/app.js';
import { RUN_ID, writeFixture } from './fixture.js';

let root: string;
let app: ReturnType<typeof createApp>;
beforeAll(() => {
  let reportsDir: string;
  ({ root, reportsDir } = writeFixture());
  app = createApp({ reportsDir });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function page(path: string): Promise<{ status: number; body: string }> {
  const res = await app.request(path);
  return { status: res.status, body: await res.text() };
}
const count = (s: string, sub: string): number => s.split(sub).length - 1;
const side = (id: string, model: string): string => encodeURIComponent(`${id}/${model}`);

describe('the problem filter', () => {
  it('shows only the samples of one problem, with its verdict counts and the way back', async () => {
    const { body } = await page(`/runs/${RUN_ID}/samples/grpo?problem=arith-007`);
    expect(count(body, '<article')).toBe(3);
    expect(count(body, '>arith-007</a>')).toBe(3);
    expect(body).toContain('<strong class="problem-filter">arith-007</strong>');
    expect(body).toContain(`<a href="/runs/${RUN_ID}/samples/grpo">all problems</a>`);
    expect(body).toContain('<span>correct (1)</span>');
  });

  it('combines with the verdict filter given in the query', async () => {
    const { body } = await page(`/runs/${RUN_ID}/samples/grpo?problem=arith-007&filter=incorrect`);
    expect(count(body, '<article')).toBe(1);
    expect(body).toContain('<span class="bad">incorrect</span>');
  });

  it('links every problem id to its filter and every sample to the side-by-side view', async () => {
    const { body } = await page(`/runs/${RUN_ID}/samples/grpo`);
    expect(body).toContain(`<a href="/runs/${RUN_ID}/samples/grpo?problem=arith-000" class="problem">arith-000</a>`);
    expect(body).toContain(`<a href="/compare?problem=arith-000&amp;a=${side(RUN_ID, 'grpo')}&amp;b=${side(RUN_ID, 'sft')}" class="compare">`);
  });
});

describe('the side-by-side view', () => {
  it('shows both models on one problem, the script-bearing completion as text', async () => {
    const { status, body } = await page(`/compare?problem=arith-000&a=${side(RUN_ID, 'grpo')}&b=${side(RUN_ID, 'base')}`);
    expect(status).toBe(200);
    expect(body).toContain(`data-side="${RUN_ID}/grpo"`);
    expect(body).toContain(`data-side="${RUN_ID}/base"`);
    expect(count(body, '<article')).toBe(6);
    expect(count(body, '&lt;script&gt;alert(1)&lt;/script&gt;')).toBe(2);
    expect(body).not.toContain('<script');
    expect(body).toContain('1 of 3 correct');
  });

  it('picks the nearest earlier stage of the same run when b is not given', async () => {
    const { body } = await page(`/compare?problem=arith-002&a=${side(RUN_ID, 'grpo')}`);
    expect(body).toContain(`data-side="${RUN_ID}/sft"`);
    expect(body).toContain('<h1>Problem arith-002</h1>');
  });

  it('steps to the previous and next problem and offers the other candidates', async () => {
    const { body } = await page(`/compare?problem=arith-002&a=${side(RUN_ID, 'grpo')}&b=${side(RUN_ID, 'sft')}`);
    expect(body).toContain(`<a href="/compare?problem=arith-001&amp;a=${side(RUN_ID, 'grpo')}&amp;b=${side(RUN_ID, 'sft')}" rel="prev">`);
    expect(body).toContain(`<a href="/compare?problem=arith-003&amp;a=${side(RUN_ID, 'grpo')}&amp;b=${side(RUN_ID, 'sft')}" rel="next">`);
    expect(body).toContain(`<a href="/compare?problem=arith-002&amp;a=${side(RUN_ID, 'grpo')}&amp;b=${side(RUN_ID, 'base')}">`);
  });

  it('says so when a side has no samples for the problem', async () => {
    const { status, body } = await page(`/compare?problem=arith-030&a=${side(RUN_ID, 'grpo')}&b=${side(RUN_ID, 'base')}`);
    expect(status).toBe(200);
    expect(body).toContain('no samples for this problem');
  });

  it.each([
    ['no side a', '/compare?problem=x'],
    ['an unknown run', `/compare?a=nope%2Fgrpo`],
    ['an unknown model', `/compare?a=${side(RUN_ID, 'nobody')}`],
    ['a traversal in the run id', `/compare?a=..%2F..%2Fetc%2Fpasswd&b=${side(RUN_ID, 'sft')}`],
    ['a samples file outside the run dir', `/compare?a=${side(RUN_ID, 'grpo')}&b=${side('tiny-r1-v1-20241201-000000', 'evil')}`],
  ])('answers %s with 404', async (_, path) => {
    expect((await page(path)).status).toBe(404);
  });
});
