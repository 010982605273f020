// The pages in a real headless Chromium: committed rows, sorting and filtering, charts, escaped model output, no JavaScript needed.

import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/eval/results.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { readJson } from '../../src/util/fs.js';
import { RUN_ID, XSS, writeFixture } from './fixture.js';
import { REF, runToyEval, SERVED } from './eval-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const COMMITTED = resolve(import.meta.dirname, '../../reports/runs');
const committed: RunSummary[] = readdirSync(COMMITTED)
  .filter((d) => existsSync(join(COMMITTED, d, 'summary.json')))
  .map((d) => readJson<RunSummary>(join(COMMITTED, d, 'summary.json')));
const has = existsSync(CHROMIUM);
const title = has ? 'in headless Chromium' : `in headless Chromium — SKIPPED: ${CHROMIUM} is absent (apt-get install -y --no-install-recommends chromium)`;

describe.skipIf(!has)(title, () => {
  let root: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const go = async (path: string): Promise<void> => void (await page.goto(new URL(path, server.url).href));
  const passAt1 = (p: Page): Promise<number[]> =>
    p.locator('#leaderboard tbody tr td:nth-child(5)').evaluateAll((tds) => tds.map((td) => Number.parseFloat(td.textContent ?? '')));

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'reprise-browser-'));
    const { reportsDir } = writeFixture(root);
    for (const s of committed) cpSync(join(COMMITTED, s.run_id), join(reportsDir, 'runs', s.run_id), { recursive: true });
    process.env.REPRISE_QUIET = '1';
    await runToyEval(root, join(reportsDir, 'evals', 'toy-open-r1', 'toy'));
    server = await startServer({ reportsDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('shows a row with the pass@1 of every model of the committed reports', async () => {
    expect(committed.length).toBeGreaterThan(0);
    await go('/');
    for (const s of committed) {
      for (const m of s.models) {
        const row = page.locator(`#leaderboard tr[data-run="${s.run_id}"][data-model="${m.model}"][data-bench="${m.bench}"]`);
        await expect(row.count()).resolves.toBe(1);
        expect(await row.locator('td:nth-child(5)').textContent()).toMatch(new RegExp(`^${(m.metrics['pass@1'].value * 100).toFixed(1)}% \\[`));
      }
    }
  });

  it('sorts by pass@1 descending, then ascending, by clicking the header', async () => {
    await go('/');
    await page.click('th[data-key="pass1"] a');
    expect(page.url()).toContain('sort=pass1&dir=desc');
    const desc = await passAt1(page);
    expect(desc.length).toBeGreaterThan(3);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await page.click('th[data-key="pass1"] a');
    const asc = await passAt1(page);
    expect(asc).toEqual([...desc].sort((a, b) => a - b));
  });

  it('filters by bench and by recipe through the filter links', async () => {
    const bench = committed[0].models[0].bench;
    await go('/');
    await page.click(`nav[data-filter="bench"] a:text-is("${bench}")`);
    const benches = await page.locator('#leaderboard tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-bench')));
    expect(benches.length).toBe(committed.flatMap((s) => s.models).filter((m) => m.bench === bench).length);
    expect(new Set(benches)).toEqual(new Set([bench]));
    await go('/?recipe=no-such-recipe');
    await expect(page.locator('#leaderboard tbody tr').count()).resolves.toBe(0);
  });

  it('draws the training curves of a committed run as charts', async () => {
    const s = committed[0];
    await go(`/runs/${encodeURIComponent(s.run_id)}`);
    for (const stage of Object.keys(s.curves)) {
      const charts = page.locator(`#curves-${stage} svg.chart`);
      expect(await charts.count()).toBeGreaterThan(1);
      const box = await charts.first().boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(await charts.first().locator('path').count()).toBeGreaterThan(0);
    }
    const titles = await page.locator('svg.chart > title').allTextContents();
    for (const t of ['loss', 'reward per function (mean)', 'completion_len', 'kl', 'clip_frac', 'lr']) expect(titles).toContain(t);
  });

  it('shows a completion containing a script tag as text, and no dialog opens', async () => {
    await go(`/runs/${RUN_ID}/samples/grpo?problem=arith-000`);
    await expect(page.locator('pre.completion').first().textContent()).resolves.toBe(XSS);
    await page.click('a.compare >> nth=0');
    await expect(page.locator('pre.completion').first().textContent()).resolves.toBe(XSS);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
  });

  it('reads the same with JavaScript off', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await context.newPage();
      await p.goto(new URL('/?sort=pass1&dir=asc', server.url).href);
      const values = await passAt1(p);
      expect(values.length).toBe(committed.flatMap((s) => s.models).length + 4); // the fixture adds 3 + 1 rows
      expect(values).toEqual([...values].sort((a, b) => a - b));
    } finally {
      await context.close();
    }
  });

  it('shows recipe runs and a reprise eval in one matrix, the eval cell with its reference, Δ and inside mark, linked to its provenance', async () => {
    await go('/');
    for (const s of committed) {
      for (const m of s.models) {
        const cell = page.locator(`#matrix tr[data-row="run:${s.run_id}/${m.model}"] td[data-bench="${m.bench}"]`);
        expect(await cell.textContent()).toMatch(new RegExp(`^${(m.metrics['pass@1'].value * 100).toFixed(1)}% \\[`));
      }
    }
    const cell = page.locator(`#matrix tr[data-row="eval:${SERVED}"] td[data-bench="toy/open-r1"]`);
    const text = (await cell.innerText()).replace(/\s+/g, ' ');
    expect(text).toMatch(/^50\.0% \[\d+\.\d, \d+\.\d\] avg@4 ref 45\.0% avg@4 · Δ \+5\.0 pts ✓/);
    expect(text).toContain(REF.source);
    await cell.locator('a').first().click();
    expect(new URL(page.url()).pathname).toBe('/evals/toy-open-r1/toy');
    expect(await page.locator('h1').textContent()).toBe(`toy/open-r1 · ${SERVED}`);
    expect(await page.locator('#eval-provenance').innerText()).toContain('temperature 0.6, top_p 1, max_tokens 64, n 4, seed 0');
  });
});
