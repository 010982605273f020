// `reprise data validate <file> [--max-tokens N] [--encoding E | --tokenizer DIR] [--json]`: OpenAI's fine-tuning
// format checks on a chat or preference JSONL (each error with line and key), token counts and a length histogram;
// exit 2 when any error is found. --tokenizer counts with a model's own tokenizer and chat template.

import { InputError, RepriseError } from '../util/errors.js';

export interface DataValidateFlags {
  maxTokens?: string | number;
  encoding?: string;
  tokenizer?: string;
  json?: boolean;
}

export async function dataValidateCommand(file: string, opts: DataValidateFlags = {}): Promise<void> {
  const { validateChatFile, tiktokenCounter } = await import('../data/chat-validate.js');
  const { existsSync } = await import('node:fs');
  if (!existsSync(file)) throw new RepriseError('E_INPUT', `${file}: file not found`, 'pass an OpenAI chat JSONL file, one {"messages": [...]} per line');
  if (opts.encoding && opts.tokenizer) throw new InputError('give --encoding (OpenAI models) or --tokenizer DIR (a model\'s own), not both', { field: 'tokenizer' });
  if (opts.encoding && !['o200k_base', 'cl100k_base'].includes(opts.encoding)) throw new InputError(`--encoding must be o200k_base or cl100k_base, got "${opts.encoding}"`, { field: 'encoding' });
  const counter = opts.tokenizer ? await (await import('../train/token-counter.js')).modelCounter(opts.tokenizer) : await tiktokenCounter((opts.encoding ?? 'o200k_base') as 'o200k_base' | 'cl100k_base');
  const r = await validateChatFile(file, { maxTokens: opts.maxTokens !== undefined ? Number(opts.maxTokens) : undefined, counter });
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else {
    const out: string[] = [];
    for (const e of r.errors) out.push(`${file}:${e.line}: ${e.key}: ${e.message}`);
    out.push(`${r.examples} example(s) (chat ${r.formats.chat}, preference ${r.formats.preference} valid), ${r.errors.length} error(s)${r.errors.length ? ': ' + Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(', ') : ''}`);
    const t = r.tokens;
    out.push(`tokens (${t.tokenizer}): total ${t.total}, assistant ${t.assistant}, per example min ${t.min} / p50 ${t.p50} / mean ${t.mean.toFixed(1)} / p95 ${t.p95} / max ${t.max}; ${r.too_long} over the limit`);
    const widest = Math.max(1, ...r.histogram.map((b) => b.count));
    for (const b of r.histogram) out.push(`  ${`[${b.lo}, ${b.hi})`.padEnd(16)} ${String(b.count).padStart(7)} ${'#'.repeat(Math.round((40 * b.count) / widest))}`);
    process.stdout.write(out.join('\n') + '\n');
  }
  if (r.errors.length) throw new RepriseError('E_DATA_INVALID', `${file}: ${r.errors.length} format error(s) in ${r.examples} example(s)`, 'fix the lines listed above; keys follow OpenAI\'s fine-tuning data checks');
}
