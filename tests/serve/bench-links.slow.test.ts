// recipes/r1-distill-eval/v1.yaml run for real (`reprise run` as a subprocess against our OpenAI-compatible test
// server) evaluates one model on MATH-500 and AIME 2024; in a real Chromium, the AIME links of the run page and the
// leaderboard lead to AIME's samples and AIME's section, not MATH-500's.

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { startFake, type FakeServer } from '../fixtures/fake-openai.js';
import { cli } from '../cli-process.js';

const root = resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const SERVED = 'deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B';
const RUN_ID = 'r1-distill-eval-v1-s0-deepseek-ai-DeepSeek-R1-Distill-Qwen-1.5B';
const AIME = 'aime24/open-r1';
const has = existsSync(CHROMIUM);

/** Toy MATH-500 (3 problems) and AIME 2024 (2 problems) files where the specs' `local` paths look; each prompt names its benchmark. */
function writeData(dir: string): void {
  for (const [bench, n] of [['math500', 3], ['aime24', 2]] as const) {
    mkdirSync(join(dir, bench), { recursive: true });
    const rows = Array.from({ length: n }, (_, k) => ({ unique_id: `${bench}-${k}`, id: `${bench}-${k}`, problem: `What is ${k}+100? (${bench})`, answer: String(k + 100) }));
    writeFileSync(join(dir, bench, 'test.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  }
}

describe.skipIf(!has)(has ? 'a two-benchmark run in headless Chromium' : `a two-benchmark run in headless Chromium — SKIPPED: ${CHROMIUM} is absent`, () => {
  let base: string;
  let fake: FakeServer;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'reprise-bench-links-'));
    writeData(join(base, 'data'));
    fake = await startFake({ answer: () => '<think>adding</think> Therefore, the final answer is: $\\boxed{100}$. I hope it is correct' });
    const run = await cli(['run', 'recipes/r1-distill-eval/v1.yaml', '--endpoint', fake.url, '--model', SERVED, '--data-dir', join(base, 'data'), '--work-dir', join(base, 'work'), '--reports', join(base, 'reports')]);
    expect(run.code, run.stderr).toBe(0);
    server = await startServer({ reportsDir: join(base, 'reports') });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fake?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const problemIds = (): Promise<string[]> => page.locator('article.sample a.problem').allTextContents();
  /** The first page of AIME's 2 problems × 64 samples: AIME's problems only, 50 of 128. */
  const expectAime = async (): Promise<void> => {
    const ids = await problemIds();
    expect(ids.filter((id) => !id.startsWith('aime24-'))).toEqual([]);
    expect(ids.length).toBe(50);
    await expect(page.locator('main').textContent()).resolves.toContain('samples 1–50 of 128');
  };

  it('opens AIME\'s samples from the AIME row\'s "browse" link of the run page, and MATH-500\'s from its own', { timeout: 60_000 }, async () => {
    await page.goto(new URL(`/runs/${RUN_ID}`, server.url).href);
    await page.click(`[id="bench-${AIME}"] + table.eval a:text-is("browse")`);
    await expectAime();
    expect(new URL(page.url()).searchParams.get('bench')).toBe(AIME);
    expect(await page.locator('h1').textContent()).toBe(`Samples: ${SERVED} on ${AIME}`);
    await expect(page.locator('pre.prompt').first().textContent()).resolves.toContain('(aime24)');

    await page.goto(new URL(`/runs/${RUN_ID}`, server.url).href);
    await page.click('[id="bench-math500/open-r1"] + table.eval a:text-is("browse")');
    expect(new Set(await problemIds())).toEqual(new Set(['math500-0', 'math500-1', 'math500-2']));
  });

  it('lands on AIME\'s model section from the leaderboard\'s AIME row and from the samples page', { timeout: 60_000 }, async () => {
    await page.goto(new URL('/', server.url).href);
    await page.click(`#leaderboard tr[data-run="${RUN_ID}"][data-bench="${AIME}"] td:nth-child(3) a`);
    await expect(page.locator('section.model:target h3').textContent()).resolves.toContain(`bench ${AIME}`);
    await page.click(`section.model:target a:text-is("samples of ${SERVED} on ${AIME}")`);
    await expectAime();
    await page.click(`a:text-is("metrics of ${SERVED}")`);
    await expect(page.locator('section.model:target h3').textContent()).resolves.toContain(`bench ${AIME}`);
  });

  it('answers an old samples link that names only the model with a choice of its two benchmarks', { timeout: 60_000 }, async () => {
    const res = await page.goto(new URL(`/runs/${RUN_ID}/samples/${encodeURIComponent(SERVED)}`, server.url).href);
    expect(res?.status()).toBe(300);
    await page.click(`a:text-is("${AIME}")`);
    await expectAime();
  });
});
