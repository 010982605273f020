// `reprise report --html`: every page reachable from the leaderboard written as a file, every link relative and resolvable.

import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/serve/app.js';
import { exportSite, fileFor, type ExportResult } from '../../src/serve/export.js';
import { OLD_RUN_ID, RUN_ID, writeFixture } from './fixture.js';

let root: string;
let out: string;
let result: ExportResult;
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

beforeAll(async () => {
  let reportsDir: string;
  ({ root, reportsDir } = writeFixture());
  out = join(root, 'site');
  result = await exportSite(createApp({ reportsDir }), out);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the static export', () => {
  it('names files after the path and query, hashing what is not a plain name', () => {
    expect(fileFor('/', '')).toBe('index.html');
    expect(fileFor('/runs/a', '')).toBe('runs/a/index.html');
    expect(fileFor('/runs/a/samples/grpo', '?page=2&filter=correct')).toBe('runs/a/samples/grpo/index.filter-correct_page-2.html');
    expect(fileFor('/compare', '?a=r%2Fm&b=x')).toMatch(/^compare\/index\.q-[0-9a-f]{12}\.html$/);
    expect(fileFor('/runs/..%2f..', '')).toMatch(/^runs\/x-[0-9a-f]{12}\/index\.html$/);
  });

  it('writes the leaderboard, run pages, sample pages and side-by-side pages', () => {
    const written = files(out).map((f) => relative(out, f));
    expect(written).toContain('index.html');
    expect(written).toContain(`runs/${RUN_ID}/index.html`);
    expect(written).toContain(`runs/${RUN_ID}/samples/grpo/index.page-3.html`);
    expect(written).toContain(`runs/${RUN_ID}/samples/grpo/index.filter-unjudged.html`);
    expect(written.filter((f) => f.startsWith('compare/')).length).toBeGreaterThan(40);
    expect(result.pages).toBe(written.length);
  });

  it('leaves no absolute link, and every relative one names a written file', () => {
    const dangling: string[] = [];
    for (const f of files(out)) {
      for (const [, href] of readFileSync(f, 'utf8').matchAll(/href="([^"]*)"/g)) {
        if (/^(https?:|#)/.test(href)) continue;
        const target = join(dirname(f), href.replace(/&amp;/g, '&').split('#')[0]);
        if (href.startsWith('/') || !existsSync(target)) dangling.push(`${relative(out, f)} → ${href}`);
      }
    }
    expect(dangling).toEqual([]);
  });

  it('keeps model output escaped and reports the pages that answered 404', () => {
    const grpo = readFileSync(join(out, `runs/${RUN_ID}/samples/grpo/index.html`), 'utf8');
    expect(grpo).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(grpo).not.toContain('<script');
    expect(grpo).toContain('<meta http-equiv="Content-Security-Policy"');
    expect(result.failed).toEqual([`404 /runs/${OLD_RUN_ID}/samples/evil`]);
  });
});
