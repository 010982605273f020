// Leaderboard server: pages, escaping, pagination, path confinement, broken reports and a real HTTP round trip.

import { get } from 'node:http';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/serve/app.js';
import { startServer } from '../../src/serve/server.js';
import { loadReports } from '../../src/serve/store.js';
import { GIT_COMMIT, GRPO_SAMPLES, OLD_RUN_ID, RECIPE_SHA, RUN_ID, SECRET, writeFixture } from './fixture.js';

let root: string;
let reportsDir: string;
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  ({ root, reportsDir } = writeFixture());
  app = createApp({ reportsDir });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function page(path: string): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await app.request(path);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const count = (s: string, sub: string): number => s.split(sub).length - 1;
const section = (body: string, id: string): string => body.slice(body.indexOf(`id="${id}"`)).split('</section>')[0];

describe('the leaderboard', () => {
  it('lists base, sft and grpo with pass@1 and its interval, each number linking to its model on the run page', async () => {
    const { status, body } = await page('/');
    expect(status).toBe(200);
    const link = (m: string): string => `href="/runs/${RUN_ID}#model-${m}"`;
    expect(body).toContain(`<a ${link('base')}>10.0% [7.5, 13.0]</a>`);
    expect(body).toContain(`<a ${link('sft')}>36.2% [32.0, 40.5]</a>`);
    expect(body).toContain(`<a ${link('grpo')}>42.5% [38.1, 47.0]</a>`);
    expect(body).toContain(`<a ${link('grpo')}>43.5% [38.1, 49.0]</a>`); // greedy
    expect(body).toContain(`<a ${link('grpo')}>45.5% [39.1, 50.0]</a>`); // maj@n
    expect(body).toContain(`<a ${link('grpo')}>40 × 3</a>`);
    for (const [, text] of body.matchAll(/<a href="\/runs\/[^"#]+">([^<]*)<\/a>/g)) expect(text).not.toMatch(/%/);
  });

  it('shows the paired tests beneath the table', async () => {
    const { body } = await page('/');
    expect(body).toContain('grpo − sft on pass@1: +6.2 pts [3.1, 9.4], p = 0.0004 (paired sign-flip permutation), 200 problems');
    expect(body).toContain('sft − base on pass@1: +26.2 pts [20.0, 31.0], p &lt; 0.0001');
  });

  it('puts the newest run first', async () => {
    const { body } = await page('/');
    expect(body.indexOf(RUN_ID)).toBeLessThan(body.indexOf(OLD_RUN_ID));
    expect(loadReports(reportsDir).runs.map((r) => r.id)).toEqual([RUN_ID, OLD_RUN_ID]);
  });

  it('skips broken summaries, names them, and keeps serving the good runs', async () => {
    const { runs, warnings } = loadReports(reportsDir);
    expect(runs).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/broken-json.*invalid JSON/);
    expect(warnings.join('\n')).toMatch(/wrong-shape.*recipe/);
    expect(warnings.join('\n')).toMatch(/no-summary.*no summary\.json/);
    const { status, body } = await page('/');
    expect(status).toBe(200);
    expect(body).toContain('broken-json');
  });

  it('returns an empty leaderboard when there is no reports dir', async () => {
    const res = await createApp({ reportsDir: join(root, 'nowhere') }).request('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No runs under');
  });
});

describe('the run page', () => {
  it('shows the recipe, provenance, datasets and a section per model', async () => {
    const { status, body } = await page(`/runs/${RUN_ID}`);
    expect(status).toBe(200);
    expect(body).toContain('id="model-grpo"');
    expect(body).toContain('id="model-base"');
    expect(body).toContain(RECIPE_SHA);
    expect(body).toContain(GIT_COMMIT);
    expect(body).toContain('<pre class="recipe"><span class="k">name</span>: tiny-r1\n<span class="k">version</span>: 1');
    expect(body).toContain('arith-train');
    expect(body).toContain('bootstrap over problems, 2000 resamples');
    expect(section(body, 'model-grpo')).toContain(`href="/runs/${RUN_ID}/samples/grpo"`);
  });

  it('draws the SVG charts of each training stage, loss first and the per-function reward means in one chart', async () => {
    const { body } = await page(`/runs/${RUN_ID}`);
    const sft = section(body, 'curves-sft');
    const grpo = section(body, 'curves-grpo');
    expect(count(sft, '<svg')).toBe(3); // loss, lr, tokens_per_s; "phase" is not numeric
    const titles = [...grpo.matchAll(/<svg[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(titles).toEqual(['loss', 'reward per function (mean)', 'completion_len', 'kl', 'clip_frac', 'lr', 'reward/accuracy/std', 'reward/total/mean', 'entropy']);
    expect(grpo).toContain('1 unreadable line(s) skipped');
  });

  it('refuses a curves path that leaves the run directory', async () => {
    const { status, body } = await page(`/runs/${OLD_RUN_ID}`);
    expect(status).toBe(200);
    expect(body).toContain('missing or lies outside the run directory');
    expect(body).not.toContain(SECRET);
  });
});

describe('the samples page', () => {
  it('shows a completion containing a script tag as text', async () => {
    const { status, body, headers } = await page(`/runs/${RUN_ID}/samples/grpo`);
    expect(status).toBe(200);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).not.toContain('<script');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('pages through the samples 50 at a time', async () => {
    const articles = async (q: string): Promise<string> => (await page(`/runs/${RUN_ID}/samples/grpo${q}`)).body;
    const p1 = await articles('');
    expect(count(p1, '<article')).toBe(50);
    expect(p1).toContain(`samples 1–50 of ${GRPO_SAMPLES}`);
    expect(p1).toContain(`href="/runs/${RUN_ID}/samples/grpo?page=2"`);
    const p3 = await articles('?page=3');
    expect(count(p3, '<article')).toBe(20);
    expect(p3).toContain('page 3 of 3');
    expect(await articles('?page=99')).toContain('page 3 of 3');
    expect(await articles('?page=abc')).toContain('page 1 of 3');
  });

  it('filters by verdict', async () => {
    for (const [filter, verdict] of [['correct', 'ok'], ['incorrect', 'bad'], ['unjudged', 'unk']] as const) {
      const { body } = await page(`/runs/${RUN_ID}/samples/grpo?filter=${filter}`);
      expect(count(body, '<article')).toBe(40);
      expect(count(body, `<span class="${verdict}">`)).toBe(40);
      expect(count(body, '<span class="ok">') + count(body, '<span class="bad">') + count(body, '<span class="unk">')).toBe(40);
      expect(body).toContain(`<strong>${filter} (40)</strong>`);
    }
    const { body } = await page(`/runs/${RUN_ID}/samples/grpo?filter=correct&page=2`);
    expect(body).toContain('page 1 of 1');
  });
});

describe('lookups and path confinement', () => {
  const notFound = [
    '/runs/..%2f..%2fetc%2fpasswd',
    '/runs/%2e%2e/x',
    '/runs/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/runs/..%5c..%5cetc%5cpasswd',
    '/runs/no-such-run',
    '/runs/broken-json',
    `/runs/${RUN_ID}/samples/nobody`,
    `/runs/${RUN_ID}/samples/..%2f..%2f..%2fsecret`,
    `/runs/${OLD_RUN_ID}/samples/evil`,
    `/runs/${RUN_ID}%2f..%2f${OLD_RUN_ID}`,
    '/nowhere',
  ];
  it.each(notFound)('answers %s with the 404 page', async (path) => {
    const { status, body } = await page(path);
    expect(status).toBe(404);
    expect(body).toContain('404');
    expect(body).not.toContain(SECRET);
  });

  it('serves the summaries as JSON and 404s unknown ids', async () => {
    const list = (await (await app.request('/api/runs')).json()) as Array<{ run_id: string }>;
    expect(list.map((s) => s.run_id)).toEqual([RUN_ID, OLD_RUN_ID]);
    const one = await app.request(`/api/runs/${RUN_ID}`);
    expect(((await one.json()) as { recipe: { sha256: string } }).recipe.sha256).toBe(RECIPE_SHA);
    expect((await app.request('/api/runs/..%2f..%2fetc')).status).toBe(404);
  });
});

describe('the server', () => {
  it('listens on a free port on 127.0.0.1 and serves the leaderboard over HTTP', async () => {
    const server = await startServer({ reportsDir, port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
      expect(server.port).toBeGreaterThan(0);
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`#model-grpo`);
      // Raw request paths, not normalized by a URL parser on the client side.
      for (const path of ['/runs/..%2f..%2fetc%2fpasswd', '/runs/%2e%2e/%2e%2e/etc/passwd', '/../../etc/passwd']) {
        const status = await new Promise<number>((ok, fail) => get({ host: '127.0.0.1', port: server.port, path }, (r) => (r.resume(), ok(r.statusCode ?? 0))).on('error', fail));
        expect(status).toBe(404);
      }
    } finally {
      await server.close();
    }
  });
});

describe('the serve module', () => {
  it('imports nothing from the model or training code, and only types from inference (tfjs stays unloaded)', () => {
    const dir = join(import.meta.dirname, '../../src/serve');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/from '(\.\.\/(model|train)\/|@tensorflow)/);
      expect(src, f).not.toMatch(/^import (?!type )[^;]*from '\.\.\/inference\//m);
    }
  });
});
