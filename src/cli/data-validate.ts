// `reprise data validate <file> [--max-tokens N] [--json]`: OpenAI's fine-tuning format checks on a chat
// JSONL (each error with line and key), token counts and a length histogram; exit 2 when any error is found.

import { RepriseError } from '../util/errors.js';

export interface DataValidateFlags {
  maxTokens?: string | number;
  json?: boolean;
}

export async function dataValidateCommand(file: string, opts: DataValidateFlags = {}): Promise<void> {
  const { validateChatFile } = await import('../data/chat-validate.js');
  const { existsSync } = await import('node:fs');
  if (!existsSync(file)) throw new RepriseError('E_INPUT', `${file}: file not found`, 'pass an OpenAI chat JSONL file, one {"messages": [...]} per line');
  const r = validateChatFile(file, { maxTokens: opts.maxTokens !== undefined ? Number(opts.maxTokens) : undefined });
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else {
    const out: string[] = [];
    for (const e of r.errors) out.push(`${file}:${e.line}: ${e.key}: ${e.message}`);
    out.push(`${r.examples} example(s), ${r.errors.length} error(s)${r.errors.length ? ': ' + Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ') : ''}`);
    const t = r.tokens;
    out.push(`tokens${t.estimated ? ' (estimated)' : ''}: total ${t.total}, assistant ${t.assistant}, per example min ${t.min} / p50 ${t.p50} / mean ${t.mean.toFixed(1)} / p95 ${t.p95} / max ${t.max}; ${r.too_long} over the limit`);
    const widest = Math.max(1, ...r.histogram.map((b) => b.count));
    for (const b of r.histogram) out.push(`  ${`[${b.lo}, ${b.hi})`.padEnd(16)} ${String(b.count).padStart(7)} ${'#'.repeat(Math.round((40 * b.count) / widest))}`);
    process.stdout.write(out.join('\n') + '\n');
  }
  if (r.errors.length) throw new RepriseError('E_DATA_INVALID', `${file}: ${r.errors.length} format error(s) in ${r.examples} example(s)`, 'fix the lines listed above; keys follow OpenAI\'s fine-tuning data checks');
}
