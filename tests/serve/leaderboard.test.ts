// Leaderboard rows: references (a paper's, else our earliest run of the recipe version), Δ and its mark, sorting and filters.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../src/eval/results.js';
import { createApp } from '../../src/serve/app.js';
import { boardRows, parseBoardQuery, selectRows, type BoardQuery } from '../../src/serve/leaderboard.js';
import type { LoadedRun, Reports } from '../../src/serve/store.js';
import { RUN_ID, summary, writeFixture } from './fixture.js';

const run = (id: string, finished: string, edit: (s: RunSummary) => void = () => {}): LoadedRun => {
  const s = summary(id, finished);
  edit(s);
  return { id, dir: `/nowhere/${id}`, summary: s };
};
const reports = (...runs: LoadedRun[]): Reports => ({ runs, evals: [], warnings: [] });
const q = (over: Partial<BoardQuery> = {}): BoardQuery => ({ sort: null, dir: 'desc', bench: null, recipe: null, ...over });
const ids = (rows: ReturnType<typeof boardRows>): string[] => rows.map((r) => `${r.run.id}/${r.m.model}`);

describe('references', () => {
  const newer = run('new', '2025-02-01T00:00:00Z');
  const older = run('old', '2025-01-01T00:00:00Z');
  const otherVersion = run('v2', '2024-01-01T00:00:00Z', (s) => (s.recipe.version = 2));

  it("takes our earliest run of the same recipe version as the reference, and gives that run none", () => {
    const rows = boardRows(reports(newer, older, otherVersion));
    const sft = rows.find((r) => r.run.id === 'new' && r.m.model === 'sft')!;
    expect(sft.ref).toMatchObject({ source: 'run old', runId: 'old', metric: 'pass@1', value: 0.362, diff: 0, inside: true });
    expect(rows.filter((r) => r.run.id !== 'new').map((r) => r.ref)).toEqual([null, null, null, null, null, null]);
  });

  it("prefers a paper's pass@1 from the summary and marks whether it lies inside the interval", () => {
    const paper = run('paper', '2025-03-01T00:00:00Z', (s) =>
      Object.assign(s, {
        references: [
          { model: 'grpo', bench: 'arith-200', metric: 'greedy', value: 0.1, source: 'P' },
          { model: 'grpo', bench: 'arith-200', metric: 'pass@1', value: 0.6, source: 'R1 paper' },
          { model: 'base', bench: 'arith-200', metric: 'pass@1', value: 'high', source: 'malformed, ignored' },
        ],
      }),
    );
    const rows = boardRows(reports(paper, older));
    const grpo = rows.find((r) => r.m.model === 'grpo' && r.run === paper)!;
    expect(grpo.ref).toMatchObject({ source: 'R1 paper', value: 0.6, inside: false });
    expect(grpo.ref!.diff).toBeCloseTo(0.425 - 0.6);
    expect(rows.find((r) => r.m.model === 'base' && r.run === paper)!.ref).toMatchObject({ source: 'run old' });
  });

  it('leaves Δ empty when the row did not measure the reference metric', () => {
    const r = run('x', '2025-03-01T00:00:00Z', (s) => Object.assign(s, { references: [{ model: 'base', bench: 'arith-200', metric: 'pass@64', value: 0.9, source: 'P' }] }));
    const base = boardRows(reports(r)).find((x) => x.m.model === 'base')!;
    expect(base.ref).toMatchObject({ metric: 'pass@64', value: 0.9 });
    expect(base.ref!.diff).toBeUndefined();
  });
});

describe('selectRows', () => {
  const a = run('a', '2025-02-01T00:00:00Z', (s) => (s.models[1].bench = 'other'));
  const b = run('b', '2025-01-01T00:00:00Z', (s) => {
    s.recipe.name = 'zero';
    delete (s.models[0].metrics as Record<string, unknown>)['pass@1'];
  });
  const rows = boardRows(reports(a, b));

  it('keeps the store order without a sort', () => {
    expect(ids(selectRows(rows, q()))).toEqual(['a/base', 'a/sft', 'a/grpo', 'b/base', 'b/sft', 'b/grpo']);
  });

  it('sorts by pass@1 either way, with rows that lack it last both times', () => {
    expect(ids(selectRows(rows, q({ sort: 'pass1', dir: 'desc' })))).toEqual(['a/grpo', 'b/grpo', 'a/sft', 'b/sft', 'a/base', 'b/base']);
    expect(ids(selectRows(rows, q({ sort: 'pass1', dir: 'asc' })))).toEqual(['a/base', 'a/sft', 'b/sft', 'a/grpo', 'b/grpo', 'b/base']);
  });

  it('filters by bench and by recipe name', () => {
    expect(ids(selectRows(rows, q({ bench: 'other' })))).toEqual(['a/sft']);
    expect(ids(selectRows(rows, q({ recipe: 'zero', sort: 'model', dir: 'asc' })))).toEqual(['b/base', 'b/grpo', 'b/sft']);
  });

  it('reads the query, ignoring unknown sort keys, with text columns ascending first', () => {
    const get = (o: Record<string, string>) => (k: string) => o[k];
    expect(parseBoardQuery(get({ sort: 'model' }))).toEqual({ sort: 'model', dir: 'asc', bench: null, recipe: null });
    expect(parseBoardQuery(get({ sort: 'pass1', bench: 'x' }))).toEqual({ sort: 'pass1', dir: 'desc', bench: 'x', recipe: null });
    expect(parseBoardQuery(get({ sort: 'constructor', dir: 'sideways' }))).toEqual({ sort: null, dir: 'desc', bench: null, recipe: null });
  });
});

describe('the leaderboard page', () => {
  let root: string;
  let app: ReturnType<typeof createApp>;
  beforeAll(() => {
    let reportsDir: string;
    ({ root, reportsDir } = writeFixture());
    app = createApp({ reportsDir });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const body = async (path: string): Promise<string> => (await app.request(path)).text();
  const row = (html: string, model: string): string => html.split(`<tr data-run="${RUN_ID}" data-model="${model}"`)[1].split('</tr>')[0];

  it("shows a paper's reference with its source, the difference and whether it is inside the interval", async () => {
    const html = await body('/');
    expect(row(html, 'grpo')).toContain('44.0% <span class="muted">pass@1</span> · <a href="https://example.org/paper" rel="noreferrer">Paper &lt;i&gt;X&lt;/i&gt;, table 2</a>');
    expect(row(html, 'grpo')).toContain(`<a href="/runs/${RUN_ID}#model-grpo">−1.5 pts</a> <span class="in">✓ inside CI</span>`);
    expect(row(html, 'sft')).toContain('<span class="out">✗ outside CI</span>');
    expect(row(html, 'sft')).not.toContain('javascript:');
    expect(row(html, 'base')).toMatch(/<td class="num">—<\/td><td class="num">—<\/td>$/);
  });

  it('links each header to its sort, toggling the direction of the current one and keeping the filters', async () => {
    const html = await body('/?bench=arith-200&sort=pass1&dir=desc');
    expect(html).toContain('<th aria-sort="descending" data-key="pass1"><a href="/?bench=arith-200&amp;sort=pass1&amp;dir=asc">pass@1 [95% CI]</a> ▼</th>');
    expect(html).toContain('<a href="/?bench=arith-200&amp;sort=model&amp;dir=asc">model</a>');
    expect(html.indexOf('data-model="grpo"')).toBeLessThan(html.indexOf('data-model="sft"'));
  });

  it('filters rows by bench and recipe through links', async () => {
    expect(await body('/')).toContain('<a href="/?bench=arith-200">arith-200</a>');
    const none = await body('/?bench=nothing');
    expect(none).toContain('0 of 4 row(s)');
    expect(none).not.toContain('<tr data-run');
    expect(await body('/?recipe=tiny-r1')).toContain('4 of 4 row(s)');
  });
});
