// Static export: renders every page reachable from "/" through the app and writes it as a file whose links work from file://.

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Hono } from 'hono';
import { RepriseError } from '../util/errors.js';

export interface ExportResult {
  pages: number;
  bytes: number;
  /** Pages that answered with a status other than 200 (written all the same, so that no link dangles). */
  failed: string[];
  /** Pages found but not written because maxPages was reached. */
  skipped: number;
}

const ORIGIN = 'http://reprise.invalid';
const SAFE = /^[A-Za-z0-9._-]{1,60}$/;
const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const safeName = (s: string): string => (SAFE.test(s) && s !== '.' && s !== '..' ? s : `x-${short(s)}`);

/** "/runs/a/samples/grpo?page=2" → "runs/a/samples/grpo/index.page-2.html"; unusual names become short hashes. */
export function fileFor(pathname: string, search: string): string {
  const dirs = pathname
    .split('/')
    .filter(Boolean)
    .map((seg) => safeName(decodeURIComponent(seg)));
  const params = [...new URLSearchParams(search)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const readable = params.every(([k, v]) => SAFE.test(k) && SAFE.test(v));
  const query = params.length === 0 ? '' : readable ? `.${params.map(([k, v]) => `${k}-${v}`).join('_')}` : `.q-${short(new URLSearchParams(params).toString())}`;
  return posix.join(...dirs, `index${query}.html`);
}

const unescapeAttr = (s: string): string =>
  s.replace(/&(amp|quot|#39|lt|gt);/g, (_, e: string) => ({ amp: '&', quot: '"', '#39': "'", lt: '<', gt: '>' })[e]!);
const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

/** Crawls from "/" breadth first; /api/ and links to other sites are left as they are. Throws, writing nothing, when "/" fails. */
export async function exportSite(app: Hono, outDir: string, maxPages = 50_000): Promise<ExportResult> {
  const keyOf = (u: URL): string => `${u.pathname}${u.search}`;
  const queue: URL[] = [new URL('/', ORIGIN)];
  const found = new Set<string>([keyOf(queue[0])]);
  const result: ExportResult = { pages: 0, bytes: 0, failed: [], skipped: 0 };
  for (let i = 0; i < queue.length; i++) {
    if (result.pages >= maxPages) {
      result.skipped = queue.length - i;
      break;
    }
    const url = queue[i];
    const res = await app.request(keyOf(url));
    if (i === 0 && res.status !== 200) throw new RepriseError('E_EXPORT', `the leaderboard page (/) answered ${res.status}: ${(await res.text()).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)}`, 'nothing was exported; fix the reports named above, or run `reprise serve` to see the page');
    if (res.status !== 200) result.failed.push(`${res.status} ${keyOf(url)}`);
    const file = fileFor(url.pathname, url.search);
    const text = (await res.text()).replace(/href="([^"]*)"/g, (whole, raw: string) => {
      const href = unescapeAttr(raw);
      if (href.startsWith('#')) return whole;
      const target = new URL(href, url);
      if (target.origin !== ORIGIN || target.pathname.startsWith('/api/')) return whole;
      target.hash = '';
      if (!found.has(keyOf(target))) {
        found.add(keyOf(target));
        queue.push(target);
      }
      const rel = posix.relative(posix.dirname(file), fileFor(target.pathname, target.search));
      return `href="${escapeAttr(rel + new URL(href, url).hash)}"`;
    });
    mkdirSync(join(outDir, posix.dirname(file)), { recursive: true });
    writeFileSync(join(outDir, file), text);
    result.pages++;
    result.bytes += Buffer.byteLength(text);
  }
  return result;
}
