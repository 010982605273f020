// Checks OpenAI-style chat JSONL as OpenAI's fine-tuning data checks do (the cookbook's format_errors keys),
// each error with its line, plus token counts per example and a length histogram.
// Token counts are estimates (a cl100k-like pre-tokenisation, long pieces split every 6 characters) unless
// a tokenizer is given; the per-message overhead is the cookbook's (3 per message, 3 for the reply).

import { readFileSync } from 'node:fs';

export const ERROR_KEYS = ['invalid_json', 'data_type', 'missing_messages_list', 'message_missing_key', 'message_unrecognized_key', 'unrecognized_role', 'missing_content', 'example_missing_assistant_message'] as const;
export type ErrorKey = (typeof ERROR_KEYS)[number];

const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'function_call', 'weight']);
const ROLES = new Set(['system', 'user', 'assistant', 'function']);

export interface ValidationError {
  line: number;
  key: ErrorKey;
  message: string;
}

export interface ValidationReport {
  file: string;
  examples: number;
  errors: ValidationError[];
  counts: Partial<Record<ErrorKey, number>>;
  tokens: { total: number; assistant: number; min: number; max: number; mean: number; p50: number; p95: number; estimated: boolean };
  too_long: number;
  histogram: { lo: number; hi: number; count: number }[];
}

const PIECE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}{1,3}| ?[^\s\p{L}\p{N}]+|\s+/gu;

export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(PIECE)) n += Math.max(1, Math.ceil(m[0].trim().length / 6));
  return n;
}

/** The cookbook's checks for one parsed line; errors carry the line number. */
export function checkExample(ex: unknown, line: number): ValidationError[] {
  const errs: ValidationError[] = [];
  const add = (key: ErrorKey, message: string) => errs.push({ line, key, message });
  if (!ex || typeof ex !== 'object' || Array.isArray(ex)) return add('data_type', `line is ${Array.isArray(ex) ? 'an array' : typeof ex}, not an object`), errs;
  const messages = (ex as { messages?: unknown }).messages;
  if (!Array.isArray(messages) || messages.length === 0) return add('missing_messages_list', '"messages" is missing or empty'), errs;
  messages.forEach((m: unknown, i) => {
    const msg = (m && typeof m === 'object' ? m : {}) as Record<string, unknown>;
    if (!('role' in msg) || !('content' in msg)) add('message_missing_key', `messages[${i}] lacks ${!('role' in msg) ? '"role"' : '"content"'}`);
    const extra = Object.keys(msg).filter((k) => !MESSAGE_KEYS.has(k));
    if (extra.length) add('message_unrecognized_key', `messages[${i}] has unrecognized key(s) ${extra.map((k) => `"${k}"`).join(', ')}; allowed: ${[...MESSAGE_KEYS].join(', ')}`);
    if (!ROLES.has(msg.role as string)) add('unrecognized_role', `messages[${i}].role is ${JSON.stringify(msg.role)}; allowed: ${[...ROLES].join(', ')}`);
    if ((!msg.content && !msg.function_call) || typeof msg.content !== 'string') add('missing_content', `messages[${i}].content is ${msg.content === '' ? 'empty' : 'missing or not a string'}`);
  });
  if (!messages.some((m: { role?: unknown } | null) => m?.role === 'assistant')) add('example_missing_assistant_message', 'no message has role "assistant"');
  return errs;
}

function countTokens(messages: { role?: unknown; content?: unknown }[], tok: (s: string) => number): { all: number; assistant: number } {
  let all = 3;
  let assistant = 0;
  for (const m of messages) {
    const c = typeof m.content === 'string' ? tok(m.content) : 0;
    all += 3 + tok(String(m.role ?? '')) + c;
    if (m.role === 'assistant') assistant += c;
  }
  return { all, assistant };
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

/** Validates a whole file. `maxTokens` is the per-example limit counted as too long (OpenAI's 16385 by default). */
export function validateChatFile(file: string, opts: { maxTokens?: number; tokenizer?: (s: string) => number } = {}): ValidationReport {
  const tok = opts.tokenizer ?? estimateTokens;
  const errors: ValidationError[] = [];
  const lengths: number[] = [];
  let assistant = 0;
  let examples = 0;
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    examples++;
    let ex: unknown;
    try {
      ex = JSON.parse(text);
    } catch (e) {
      errors.push({ line: i + 1, key: 'invalid_json', message: (e as Error).message });
      return;
    }
    const errs = checkExample(ex, i + 1);
    errors.push(...errs);
    if (errs.length) return;
    const t = countTokens((ex as { messages: { role?: unknown; content?: unknown }[] }).messages, tok);
    lengths.push(t.all);
    assistant += t.assistant;
  });
  const sorted = [...lengths].sort((a, b) => a - b);
  const total = lengths.reduce((a, b) => a + b, 0);
  const counts: ValidationReport['counts'] = {};
  for (const e of errors) counts[e.key] = (counts[e.key] ?? 0) + 1;
  return {
    file,
    examples,
    errors,
    counts,
    tokens: { total, assistant, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, mean: lengths.length ? total / lengths.length : 0, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), estimated: !opts.tokenizer },
    too_long: lengths.filter((n) => n > (opts.maxTokens ?? 16385)).length,
    histogram: histogram(sorted),
  };
}

/** Power-of-two bins from the shortest to the longest example. */
export function histogram(sorted: readonly number[]): { lo: number; hi: number; count: number }[] {
  if (!sorted.length) return [];
  const bins: { lo: number; hi: number; count: number }[] = [];
  let lo = 2 ** Math.floor(Math.log2(Math.max(1, sorted[0])));
  while (lo <= sorted[sorted.length - 1]) {
    const hi = lo * 2;
    bins.push({ lo, hi, count: sorted.filter((n) => n >= lo && n < hi).length });
    lo = hi;
  }
  return bins;
}
