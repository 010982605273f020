// A summary.json that parses but holds a wrong value deep inside (`"paired": [null]`) is skipped with a warning
// that names the field; the other runs are still served and exported, and an export whose index fails exits non-zero.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../src/cli/report.js';
import { createApp } from '../../src/serve/app.js';
import { exportSite } from '../../src/serve/export.js';
import { loadReports } from '../../src/serve/store.js';
import { RUN_ID, summary, writeFixture } from './fixture.js';

let root: string;
let reportsDir: string;
beforeAll(() => {
  ({ root, reportsDir } = writeFixture());
  const bad = { ...summary('paired-null', '2025-02-01T00:00:00.000Z'), paired: [null] };
  mkdirSync(join(reportsDir, 'runs/paired-null'), { recursive: true });
  writeFileSync(join(reportsDir, 'runs/paired-null/summary.json'), JSON.stringify(bad));
  const badMetric = summary('nan-metric', '2025-02-02T00:00:00.000Z');
  (badMetric.models[1].metrics['pass@1'] as { lo: unknown }).lo = 'low';
  mkdirSync(join(reportsDir, 'runs/nan-metric'), { recursive: true });
  writeFileSync(join(reportsDir, 'runs/nan-metric/summary.json'), JSON.stringify(badMetric));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a run whose summary is wrong inside', () => {
  it('is skipped with a warning naming the field, and the leaderboard still serves the other runs', async () => {
    const { runs, warnings } = loadReports(reportsDir);
    expect(runs.map((r) => r.id)).not.toContain('paired-null');
    expect(warnings.join('\n')).toMatch(/runs\/paired-null\/summary\.json skipped: paired\[0\]: /);
    expect(warnings.join('\n')).toMatch(/runs\/nan-metric\/summary\.json skipped: models\[1\]\.metrics\["pass@1"\]\.lo: /);
    const res = await createApp({ reportsDir }).request('/');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain(RUN_ID);
    expect(body).toMatch(/paired-null\/summary\.json skipped/);
  });

  it('is left out of `reprise report --html`, which writes the leaderboard of the other runs', async () => {
    const out = join(root, 'site');
    await reportCommand({ html: out, reports: reportsDir });
    const index = readFileSync(join(out, 'index.html'), 'utf8');
    expect(index).toContain(RUN_ID);
    expect(index).toMatch(/paired-null\/summary\.json skipped/);
  }, 30_000);
});

describe('an export whose leaderboard page fails', () => {
  it('rejects, naming the status, instead of writing the error page as the site', async () => {
    const app = new Hono();
    app.get('/', (c) => c.text('boom', 500));
    const out = mkdtempSync(join(tmpdir(), 'reprise-export-'));
    await expect(exportSite(app, out)).rejects.toThrow(/the leaderboard page \(\/\) answered 500/);
    expect(existsSync(join(out, 'index.html'))).toBe(false);
  });
});
