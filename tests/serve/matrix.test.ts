import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/serve/app.js';
import { loadReports } from '../../src/serve/store.js';
import { buildMatrix } from '../../src/serve/matrix.js';
import { REF, runToyEval, SERVED } from './eval-fixture.js';
import { REFERENCES, RUN_ID, writeFixture } from './fixture.js';

process.env.REPRISE_QUIET = '1';
const home = process.cwd();
let root: string;
let reportsDir: string;
let evalDir: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'reprise-matrix-'));
  ({ reportsDir } = writeFixture(root));
  // `reprise eval` without --out, run from the project directory: its result lands under reports/evals/
  process.chdir(root);
  try {
    await runToyEval(root);
  } finally {
    process.chdir(home);
  }
  const specDir = join(reportsDir, 'evals', 'toy-open-r1');
  evalDir = join(specDir, readdirSync(specDir)[0]);
  mkdirSync(join(reportsDir, 'evals', 'broken'), { recursive: true });
  writeFileSync(join(reportsDir, 'evals', 'broken', 'results.json'), JSON.stringify({ schema: 'reprise.eval/v1', spec: { id: 'x' } }));
}, 60_000);
afterAll(() => process.chdir(home));

describe('the leaderboard matrix', () => {
  it('puts a `reprise eval` result under reports/evals/ by default', () => {
    expect(existsSync(join(evalDir, 'results.json'))).toBe(true);
  });

  it('fills an eval-only row with the reproduced number, its interval, the spec\'s reference and Δ, marked inside', async () => {
    const res = await createApp({ reportsDir }).request('/');
    const page = await res.text();
    const row = new RegExp(`<tr data-row="eval:${SERVED}">.*?</tr>`, 's').exec(page)?.[0] ?? '';
    expect(row).toContain('data-bench="toy/open-r1" data-inside="true"');
    expect(row).toMatch(/50\.0% \[\d+\.\d, \d+\.\d\]<\/a> <span class="muted">avg@4<\/span>/);
    expect(row).toContain(`ref ${(100 * REF.value).toFixed(1)}%`);
    expect(row).toContain('Δ +5.0 pts');
    expect(row).toContain(REF.source);
  });

  it('puts recipe runs in the same matrix, each cell with the recipe\'s reference', () => {
    const { benches, rows } = buildMatrix(loadReports(reportsDir));
    expect(benches).toEqual(['arith-200', 'toy/open-r1']);
    const grpo = rows.find((r) => r.key === `run:${RUN_ID}/grpo`)!;
    const cell = grpo.cells.get('arith-200')!;
    expect(cell.ref?.value).toBe(REFERENCES[0].value);
    expect(cell.ref?.inside).toBe(true);
    expect(cell.href).toBe(`/runs/${RUN_ID}#model-grpo`);
    expect(grpo.cells.has('toy/open-r1')).toBe(false);
  });

  it('links every eval cell to a page with its provenance', async () => {
    const app = createApp({ reportsDir });
    const page = await (await app.request('/')).text();
    const href = new RegExp(`<tr data-row="eval:${SERVED}">.*?<a href="(/evals/[^"]+)"`, 's').exec(page)![1];
    const res = await app.request(href);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('toy/open-r1 v1');
    expect(text).toContain(`${SERVED} (endpoint)`);
    expect(text).toMatch(/temperature 0\.6, top_p 1, max_tokens 64, n 4, seed 0/);
    expect((await app.request('/evals/no/such')).status).toBe(404);
  });

  it('skips a broken results.json with a warning naming the file and the field', async () => {
    const { warnings, evals } = loadReports(reportsDir);
    expect(evals).toHaveLength(1);
    expect(warnings).toContain('evals/broken/results.json skipped: spec.name: Invalid input: expected string, received undefined');
  });

  it('serves eval results as JSON beside the runs', async () => {
    const body = (await (await createApp({ reportsDir }).request('/api/evals')).json()) as { spec: { id: string }; model: { model: string } }[];
    expect(body.map((e) => [e.spec.id, e.model.model])).toEqual([['toy/open-r1', SERVED]]);
  });

  it('still loads every committed report under reports/runs/', () => {
    const r = loadReports(resolve(home, 'reports'));
    expect(r.runs.length).toBeGreaterThan(0);
    expect(r.warnings).toEqual([]);
    const { rows } = buildMatrix(r);
    for (const run of r.runs) for (const m of run.summary.models) expect(rows.find((x) => x.key === `run:${run.id}/${m.model}`)?.cells.get(m.bench)?.est).toEqual(m.metrics['pass@1']);
  });
});
