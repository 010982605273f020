// A run that evaluates each model on two benchmarks (as recipes/r1-distill-eval does): every link, anchor and
// samples page names the benchmark, and links of single-benchmark runs keep their old form.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/serve/app.js';
import { exportSite, fileFor } from '../../src/serve/export.js';
import { BENCHES, OLD_RUN_ID, OTHER_MODEL, RUN_ID, SERVED_MODEL, TWO_BENCH_RUN, writeFixture, writeTwoBenchRun } from './fixture.js';

let root: string;
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  ({ root } = writeFixture(mkdtempSync(join(tmpdir(), 'reprise-benches-'))));
  writeTwoBenchRun(join(root, 'reports'));
  app = createApp({ reportsDir: join(root, 'reports') });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function page(path: string): Promise<{ status: number; body: string }> {
  const res = await app.request(path);
  return { status: res.status, body: await res.text() };
}

const hrefs = (body: string): string[] => [...body.matchAll(/href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
const enc = encodeURIComponent;
const samplesOf = (bench: string): string => `/runs/${TWO_BENCH_RUN}/samples/${enc(SERVED_MODEL)}?bench=${enc(bench)}`;
const anchorOf = (bench: string): string => `/runs/${TWO_BENCH_RUN}#${enc(`model-${SERVED_MODEL}@${bench}`)}`;

describe('a run with models on two benchmarks', () => {
  it('links each benchmark\'s "browse" to that benchmark\'s samples, and each opens only its own problems', async () => {
    const { body } = await page(`/runs/${TWO_BENCH_RUN}`);
    for (const bench of BENCHES) expect(hrefs(body)).toContain(samplesOf(bench));
    const aime = await page(samplesOf('aime24/open-r1'));
    expect(aime.status).toBe(200);
    expect(aime.body).toContain('bench aime24/open-r1');
    expect(aime.body).toContain('(aime24)');
    expect(aime.body).not.toContain('(math500)');
    const math = await page(samplesOf('math500/open-r1'));
    expect(math.body).toContain('(math500)');
    expect(math.body).not.toContain('(aime24)');
  });

  it('gives each (model, benchmark) its own anchor, and the links on the run page, leaderboard and matrix point at them', async () => {
    const run = await page(`/runs/${TWO_BENCH_RUN}`);
    for (const bench of BENCHES) {
      expect(run.body).toContain(`id="model-${SERVED_MODEL}@${bench}"`);
      expect(hrefs(run.body)).toContain(anchorOf(bench));
    }
    const board = await page('/');
    for (const bench of BENCHES) expect(hrefs(board.body)).toContain(anchorOf(bench));
  });

  it('keeps the pager, filters and problem links on the benchmark', async () => {
    const { body } = await page(samplesOf('aime24/open-r1'));
    const own = hrefs(body).filter((h) => h.includes('/samples/'));
    expect(own.length).toBeGreaterThan(0);
    for (const h of own) expect(new URL(h, 'http://x').searchParams.get('bench')).toBe('aime24/open-r1');
  });

  it('asks which benchmark when an old link names only the model, and refuses a benchmark the model was not run on', async () => {
    const old = await page(`/runs/${TWO_BENCH_RUN}/samples/${enc(SERVED_MODEL)}`);
    expect(old.status).toBe(300);
    for (const bench of BENCHES) expect(hrefs(old.body)).toContain(samplesOf(bench));
    const none = await page(samplesOf('gsm8k/default'));
    expect(none.status).toBe(404);
    expect(none.body).toContain('not on gsm8k/default');
  });

  it('compares two models side by side on the benchmark of the samples page it was opened from', async () => {
    const aime = await page(samplesOf('aime24/open-r1'));
    const compare = hrefs(aime.body).find((h) => h.startsWith('/compare'));
    expect(new URL(compare!, 'http://x').searchParams.get('bench')).toBe('aime24/open-r1');
    const { status, body } = await page(compare!);
    expect(status).toBe(200);
    expect(body).toContain(`data-side="${TWO_BENCH_RUN}/${SERVED_MODEL}"`);
    expect(body).toContain(`data-side="${TWO_BENCH_RUN}/${OTHER_MODEL}"`);
    expect(body).toContain('(aime24)');
    expect(body).not.toContain('(math500)');
    expect(body.match(/bench aime24\/open-r1/g)).toHaveLength(2);
    for (const h of hrefs(body).filter((x) => x.startsWith('/compare'))) expect(new URL(h, 'http://x').searchParams.get('bench')).toBe('aime24/open-r1');
    const ambiguous = await page(`/compare?a=${enc(`${TWO_BENCH_RUN}/${SERVED_MODEL}`)}`);
    expect(ambiguous.status).toBe(404);
    expect(ambiguous.body).toContain('&amp;bench=');
  });

  it('exports each benchmark\'s samples page as its own file', async () => {
    const out = join(root, 'site');
    const result = await exportSite(app, out);
    expect(result.failed).toEqual([`404 /runs/${OLD_RUN_ID}/samples/evil`]); // the fixture's escaping samples path
    const file = (bench: string): string => {
      const u = new URL(samplesOf(bench), 'http://x');
      return readFileSync(join(out, fileFor(u.pathname, u.search)), 'utf8');
    };
    expect(file('aime24/open-r1')).toContain('(aime24)');
    expect(file('aime24/open-r1')).not.toContain('(math500)');
    expect(file('math500/open-r1')).toContain('(math500)');
  });

  it('names the benchmark of each paired test', async () => {
    const { body } = await page(`/runs/${TWO_BENCH_RUN}`);
    expect(body).toContain(`${SERVED_MODEL} − ${OTHER_MODEL} on pass@1 of aime24/open-r1: +25.0 pts`);
    expect(body).toContain(`${SERVED_MODEL} − ${OTHER_MODEL} on pass@1 of the held-out test split: −10.0 pts`);
    const board = await page('/');
    expect(board.body).toContain(`${SERVED_MODEL} − ${OTHER_MODEL} on pass@1 of aime24/open-r1: +25.0 pts`);
  });
});

describe('a run with one benchmark', () => {
  it('keeps its old links: the samples route by model name alone and the #model-<name> anchor', async () => {
    const run = await page(`/runs/${RUN_ID}`);
    expect(hrefs(run.body)).toContain(`/runs/${RUN_ID}/samples/grpo`);
    expect(run.body).toContain('id="model-grpo"');
    const samples = await page(`/runs/${RUN_ID}/samples/grpo`);
    expect(samples.status).toBe(200);
    expect(samples.body).toContain('bench arith-200');
    const named = await page(`/runs/${RUN_ID}/samples/grpo?bench=arith-200`);
    expect(named.status).toBe(200);
  });
});
