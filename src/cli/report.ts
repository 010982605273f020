// `reprise report --html <dir>`: writes the leaderboard, run pages and sample browser of reports/ as static files.

import { resolve } from 'node:path';
import { createApp } from '../serve/app.js';
import { exportSite } from '../serve/export.js';
import { loadReports } from '../serve/store.js';
import { RepriseError } from '../util/errors.js';

export async function reportCommand(opts: { html: string; reports: string }): Promise<void> {
  const out = resolve(opts.html);
  for (const w of loadReports(opts.reports).warnings) process.stderr.write(`warning: ${w}\n`);
  const t0 = performance.now();
  const r = await exportSite(createApp({ reportsDir: opts.reports }), out);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`wrote ${r.pages} page(s), ${(r.bytes / 2 ** 20).toFixed(1)} MiB, in ${s} s; open ${resolve(out, 'index.html')}\n`);
  for (const f of r.failed) process.stderr.write(`page answered ${f}\n`);
  const broken = r.failed.filter((f) => f.startsWith('5'));
  if (broken.length) throw new RepriseError('E_EXPORT', `${broken.length} page(s) answered a server error: ${broken.slice(0, 5).join(', ')}`, 'the other pages were written; see the server log above for the cause');
  if (r.skipped) process.stderr.write(`${r.skipped} page(s) not written: the export stops at 50000 pages\n`);
}
