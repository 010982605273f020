// recipes/r1-distill-eval/v1.yaml as shipped, against our OpenAI-compatible test server on loopback: `reprise run`
// as a subprocess with --endpoint and --model, then its row of the leaderboard matrix in a real Chromium.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/eval/results.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { startFake, type FakeServer } from '../fixtures/fake-openai.js';
import { cli } from '../cli-process.js';

const root = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const SERVED = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';
const RUN_ID = 'r1-distill-eval-v1-s0-deepseek-ai-DeepSeek-R1-Distill-Qwen-1.5B';

/** Toy MATH-500 and AIME 2024 files in the layout of the specs' `local` paths: "What is a+b?" with gold a+b. */
function writeData(dir: string): Map<string, string> {
  const gold = new Map<string, string>();
  for (const [bench, n] of [['math500', 8], ['aime24', 4]] as const) {
    mkdirSync(join(dir, bench), { recursive: true });
    const rows = Array.from({ length: n }, (_, k) => ({ unique_id: `${bench}-${k}`, id: `${bench}-${k}`, problem: `What is ${k}+${k + 100}? (${bench})`, answer: String(2 * k + 100) }));
    for (const r of rows) gold.set(r.problem, r.answer);
    writeFileSync(join(dir, bench, 'test.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
  return gold;
}

describe('recipes/r1-distill-eval/v1.yaml against an endpoint', () => {
  let base: string;
  let fake: FakeServer;
  let summary: RunSummary;
  let run: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'reprise-r1-eval-'));
    const gold = writeData(join(base, 'data'));
    // right on every MATH-500 problem but the first (7/8), and on one AIME problem of four
    fake = await startFake({
      answer: (body) => {
        const q = (body.messages as { content: string }[]).at(-1)!.content;
        const [problem, want] = [...gold].find(([p]) => q.includes(p))!;
        const right = problem.includes('(math500)') ? !problem.startsWith('What is 0+') : problem.startsWith('What is 1+');
        return `<think>adding</think> Therefore, the final answer is: $\\boxed{${right ? want : '7'}}$. I hope it is correct`;
      },
    });
    run = await cli(['run', 'recipes/r1-distill-eval/v1.yaml', '--endpoint', fake.url, '--model', SERVED, '--data-dir', join(base, 'data'), '--work-dir', join(base, 'work'), '--reports', join(base, 'reports'), '--json']);
    if (run.code === 0) summary = JSON.parse(readFileSync(join(base, 'reports', 'runs', RUN_ID, 'summary.json'), 'utf8')) as RunSummary;
  }, 300_000);
  afterAll(() => fake?.close());

  it('evaluates the served model on both open-r1 specs with their sampling, and records DeepSeek\'s numbers as references', () => {
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    expect(summary.models.map((m) => [m.model, m.bench, m.n_problems, m.n_samples])).toEqual([
      [SERVED, 'math500/open-r1', 8, 4],
      [SERVED, 'aime24/open-r1', 4, 64],
    ]);
    expect(summary.models[0].metrics['avg@4'].value).toBeCloseTo(7 / 8, 10);
    expect(summary.models[1].metrics['avg@64'].value).toBeCloseTo(1 / 4, 10);
    expect(summary.models[0].sampling).toMatchObject({ temperature: 0.6, top_p: 0.95, max_tokens: 32768 });
    expect(fake.requests.length).toBe(8 * 4 + 4 * 64);
    expect(fake.requests.every((r) => r.body.model === SERVED && r.body.temperature === 0.6)).toBe(true);
    expect(summary.references).toEqual([
      { model: SERVED, bench: 'math500/open-r1', metric: 'avg@4', value: 0.839, source: expect.stringContaining('DeepSeek-R1 report') },
      { model: SERVED, bench: 'aime24/open-r1', metric: 'avg@64', value: 0.289, source: expect.stringContaining('AIME 2024 pass@1') },
      { model: SERVED, bench: 'aime24/open-r1', metric: 'maj@64', value: 0.527, source: expect.stringContaining('cons@64') },
    ]);
    expect(summary.provenance.command).toContain(`--endpoint ${fake.url} --model ${SERVED}`);
    expect(run.stderr).toContain('avg@4 87.5% vs reference 83.9%');
    const json = JSON.parse(run.stdout) as { models: Record<string, { bench: string }>; references: unknown[] };
    expect(Object.keys(json.models)).toEqual([`${SERVED}@math500/open-r1`, `${SERVED}@aime24/open-r1`]);
    expect(json.references).toHaveLength(3);
  });

  it('is run once per model: another --model gets its own run, not E_RECIPE_CHANGED', async () => {
    const other = await cli(['run', 'recipes/r1-distill-eval/v1.yaml', '--endpoint', fake.url, '--model', 'other/Model', '--data-dir', join(base, 'data'), '--work-dir', join(base, 'work'), '--reports', join(base, 'reports')]);
    expect(other.code, other.stderr).toBe(0);
    expect(existsSync(join(base, 'reports', 'runs', RUN_ID, 'summary.json'))).toBe(true);
    expect(other.stderr).toContain('r1-distill-eval-v1-s0-other-Model: finished');
    expect(JSON.parse(readFileSync(join(base, 'reports', 'runs', RUN_ID, 'summary.json'), 'utf8'))).toEqual(summary);
  }, 120_000);

  it('says which benchmark file is missing and how to get it, without ../shared', async () => {
    const r = await cli(['run', 'recipes/r1-distill-eval/v1.yaml', '--endpoint', fake.url, '--model', SERVED, '--data-dir', join(base, 'nowhere'), '--work-dir', join(base, 'work2'), '--reports', join(base, 'reports2')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_INPUT.*no data file for math500: put math500\/test\.jsonl or .* in .*nowhere/);
    expect(r.stderr).toContain('reprise data fetch math500');
  }, 60_000);

  describe.skipIf(!existsSync(CHROMIUM))(existsSync(CHROMIUM) ? 'in headless Chromium' : `in headless Chromium — SKIPPED: ${CHROMIUM} is absent`, () => {
    let server: RunningServer;
    let browser: Browser;
    beforeAll(async () => {
      server = await startServer({ reportsDir: join(base, 'reports') });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    it('fills the run\'s row of the leaderboard matrix: each cell the reproduced number, DeepSeek\'s reference, Δ and the inside mark', { timeout: 60_000 }, async () => {
      const page = await browser.newPage();
      await page.goto(new URL('/', server.url).href);
      const row = `#matrix tr[data-row="run:${RUN_ID}/${SERVED}"]`;
      const math = (await page.locator(`${row} td[data-bench="math500/open-r1"]`).innerText()).replace(/\s+/g, ' ');
      expect(math).toMatch(/^87\.5% \[\d+\.\d, \d+\.\d\] avg@4 ref 83\.9% avg@4 · Δ \+3\.6 pts ✓/);
      expect(math).toContain('DeepSeek-R1 report');
      const aime = (await page.locator(`${row} td[data-bench="aime24/open-r1"]`).innerText()).replace(/\s+/g, ' ');
      expect(aime).toMatch(/^25\.0% \[\d+\.\d, \d+\.\d\] avg@64 ref 28\.9% avg@64 · Δ −3\.9 pts ✓/);
    });
  });
});
