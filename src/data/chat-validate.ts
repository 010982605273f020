// Checks OpenAI fine-tuning JSONL as OpenAI's data checks do (the cookbook's format_errors keys, plus keys for what
// the cookbook predates), each error with its line, then token counts per example and a length histogram.
// Formats: chat ({"messages", "tools"?, "parallel_tool_calls"?}: roles system, developer, user, assistant, tool,
// function; assistant tool_calls; per-message weight 0|1 on assistant turns; content a string or content parts)
// and preference ({"input": {"messages", "tools"?}, "preferred_output": [assistant], "non_preferred_output": [assistant]}).
// Tokens come from a TokenCounter: OpenAI's tokenizer through js-tiktoken (o200k_base, the encoding of the models
// fine-tunable today; the cookbook's 3 tokens per message and 3 for the reply; tool schemas and calls counted as
// their JSON, since OpenAI does not publish how it renders them), or a model's own tokenizer and chat template.

import { readFileSync } from 'node:fs';

export const ERROR_KEYS = [
  'invalid_json', 'data_type', 'missing_messages_list', 'message_missing_key', 'message_unrecognized_key', 'unrecognized_role', 'missing_content',
  'example_missing_assistant_message', 'invalid_weight', 'invalid_tool_calls', 'invalid_tools', 'invalid_preference', 'template_error',
] as const;
export type ErrorKey = (typeof ERROR_KEYS)[number];

const MESSAGE_KEYS = new Set(['role', 'content', 'name', 'weight', 'function_call', 'tool_calls', 'tool_call_id', 'refusal']);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export interface Message {
  role: string;
  content?: unknown;
  name?: string;
  weight?: number;
  tool_calls?: { function?: { name?: string; arguments?: string } }[];
  function_call?: { name?: string; arguments?: string };
  [key: string]: unknown;
}

export interface ValidationError {
  line: number;
  key: ErrorKey;
  message: string;
}

/** Token counts of one conversation: all of it, and the assistant turns that are trained on (weight ≠ 0). */
export interface TokenCounter {
  name: string;
  count(c: { messages: Message[]; tools?: unknown[] }): { all: number; assistant: number };
}

export interface ValidationReport {
  file: string;
  examples: number;
  formats: { chat: number; preference: number };
  errors: ValidationError[];
  counts: Partial<Record<ErrorKey, number>>;
  tokens: { total: number; assistant: number; min: number; max: number; mean: number; p50: number; p95: number; tokenizer: string };
  too_long: number;
  histogram: { lo: number; hi: number; count: number }[];
}

const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const isPart = (p: unknown) => isObj(p) && ((p.type === 'text' && typeof p.text === 'string') || (p.type === 'image_url' && isObj(p.image_url) && typeof p.image_url.url === 'string'));

function checkMessages(messages: unknown[], at: string, add: (key: ErrorKey, message: string) => void): void {
  messages.forEach((m: unknown, i) => {
    const where = `${at}[${i}]`;
    const msg = isObj(m) ? m : {};
    const calls = msg.role === 'assistant' && (msg.tool_calls !== undefined || msg.function_call !== undefined);
    if (!('role' in msg)) add('message_missing_key', `${where} lacks "role"`);
    else if (!ROLES.has(msg.role as string)) add('unrecognized_role', `${where}.role is ${JSON.stringify(msg.role)}; allowed: ${[...ROLES].join(', ')}`);
    if (!('content' in msg) && !calls) add('message_missing_key', `${where} lacks "content"`);
    if (msg.role === 'tool' && typeof msg.tool_call_id !== 'string') add('message_missing_key', `${where} (role "tool") lacks "tool_call_id"`);
    const extra = Object.keys(msg).filter((k) => !MESSAGE_KEYS.has(k));
    if (extra.length) add('message_unrecognized_key', `${where} has unrecognized key(s) ${extra.map((k) => `"${k}"`).join(', ')}; allowed: ${[...MESSAGE_KEYS].join(', ')}`);
    const c = msg.content;
    const contentOk = (typeof c === 'string' && c !== '') || (Array.isArray(c) && c.length > 0 && c.every(isPart)) || (calls && (c == null || c === ''));
    if (!contentOk) add('missing_content', `${where}.content is ${c === '' ? 'empty' : Array.isArray(c) ? 'not a list of text or image_url parts' : 'missing or not a string'}`);
    if ('weight' in msg && (msg.role !== 'assistant' || (msg.weight !== 0 && msg.weight !== 1))) add('invalid_weight', `${where}.weight is ${JSON.stringify(msg.weight)}${msg.role !== 'assistant' ? ` on a ${JSON.stringify(msg.role)} message` : ''}; only assistant messages carry a weight, 0 or 1`);
    if (msg.tool_calls !== undefined) {
      const ok = msg.role === 'assistant' && Array.isArray(msg.tool_calls) && msg.tool_calls.length > 0 && msg.tool_calls.every((t) => isObj(t) && typeof t.id === 'string' && t.type === 'function' && isObj(t.function) && typeof t.function.name === 'string' && typeof t.function.arguments === 'string');
      if (!ok) add('invalid_tool_calls', `${where}.tool_calls must be a non-empty list of {"id", "type": "function", "function": {"name", "arguments": "<JSON string>"}} on an assistant message`);
    }
  });
}

function checkTools(ex: Record<string, unknown>, at: string, add: (key: ErrorKey, message: string) => void): void {
  if (ex.tools !== undefined && !(Array.isArray(ex.tools) && ex.tools.every((t) => isObj(t) && t.type === 'function' && isObj(t.function) && typeof t.function.name === 'string')))
    add('invalid_tools', `${at}tools must be a list of {"type": "function", "function": {"name", "description"?, "parameters"?}}`);
  if (ex.parallel_tool_calls !== undefined && typeof ex.parallel_tool_calls !== 'boolean') add('invalid_tools', `${at}parallel_tool_calls must be true or false`);
}

/** The checks for one parsed line; errors carry the line number. */
export function checkExample(ex: unknown, line: number): ValidationError[] {
  const errs: ValidationError[] = [];
  const add = (key: ErrorKey, message: string) => errs.push({ line, key, message });
  if (!isObj(ex)) return add('data_type', `line is ${Array.isArray(ex) ? 'an array' : typeof ex}, not an object`), errs;
  if ('input' in ex || 'preferred_output' in ex || 'non_preferred_output' in ex) {
    const input = isObj(ex.input) ? ex.input : {};
    if (!Array.isArray(input.messages) || input.messages.length === 0) add('missing_messages_list', '"input.messages" is missing or empty (preference format)');
    else checkMessages(input.messages, 'input.messages', add);
    checkTools(input, 'input.', add);
    for (const k of ['preferred_output', 'non_preferred_output']) {
      const out = ex[k];
      if (!Array.isArray(out) || out.length !== 1 || !isObj(out[0]) || out[0].role !== 'assistant') add('invalid_preference', `"${k}" must be a list of one assistant message`);
      else checkMessages(out, k, add);
    }
    return errs;
  }
  const messages = ex.messages;
  if (!Array.isArray(messages) || messages.length === 0) return add('missing_messages_list', '"messages" is missing or empty'), errs;
  checkMessages(messages, 'messages', add);
  checkTools(ex, '', add);
  if (!messages.some((m: unknown) => isObj(m) && m.role === 'assistant')) add('example_missing_assistant_message', 'no message has role "assistant"');
  return errs;
}

/** Text of a message's content: a string, or the text parts of a content list (images are not counted). */
export function contentText(c: unknown): string {
  if (typeof c === 'string') return c;
  return Array.isArray(c) ? c.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : '')).join('') : '';
}

/** OpenAI's tokenizer (js-tiktoken) with the cookbook's per-message overhead. */
export async function tiktokenCounter(encoding: 'o200k_base' | 'cl100k_base' = 'o200k_base'): Promise<TokenCounter> {
  const { Tiktoken } = await import('js-tiktoken/lite');
  const ranks = encoding === 'o200k_base' ? (await import('js-tiktoken/ranks/o200k_base')).default : (await import('js-tiktoken/ranks/cl100k_base')).default;
  const enc = new Tiktoken(ranks);
  const n = (s: string) => (s ? enc.encode(s, [], []).length : 0); // special-token text counts as text
  return {
    name: encoding,
    count({ messages, tools }) {
      let all = 3 + (tools ? n(JSON.stringify(tools)) : 0);
      let assistant = 0;
      for (const m of messages) {
        let own = n(contentText(m.content));
        for (const call of [...(m.tool_calls ?? []), ...(m.function_call ? [{ function: m.function_call }] : [])]) own += n(call.function?.name ?? '') + n(call.function?.arguments ?? '');
        all += 3 + n(m.role) + own + (m.name ? n(m.name) + 1 : 0);
        if (m.role === 'assistant' && m.weight !== 0) assistant += own;
      }
      return { all, assistant };
    },
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0;
}

/** Validates a whole file. `maxTokens` is the per-example limit counted as too long (OpenAI's 16385 by default). */
export async function validateChatFile(file: string, opts: { maxTokens?: number; counter?: TokenCounter } = {}): Promise<ValidationReport> {
  const counter = opts.counter ?? (await tiktokenCounter());
  const errors: ValidationError[] = [];
  const lengths: number[] = [];
  const formats = { chat: 0, preference: 0 };
  let assistant = 0;
  let examples = 0;
  readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
    if (text.trim() === '') return;
    examples++;
    let ex: Record<string, unknown>;
    try {
      ex = JSON.parse(text);
    } catch (e) {
      errors.push({ line: i + 1, key: 'invalid_json', message: (e as Error).message });
      return;
    }
    const errs = checkExample(ex, i + 1);
    errors.push(...errs);
    if (errs.length) return;
    const pref = 'input' in ex;
    formats[pref ? 'preference' : 'chat']++;
    try {
      if (pref) {
        const input = ex.input as { messages: Message[]; tools?: unknown[] };
        const a = counter.count({ messages: [...input.messages, ...(ex.preferred_output as Message[])], tools: input.tools });
        const b = counter.count({ messages: [...input.messages, ...(ex.non_preferred_output as Message[])], tools: input.tools });
        lengths.push(Math.max(a.all, b.all));
        assistant += a.assistant + b.assistant;
      } else {
        const t = counter.count({ messages: ex.messages as Message[], tools: ex.tools as unknown[] | undefined });
        lengths.push(t.all);
        assistant += t.assistant;
      }
    } catch (e) {
      errors.push({ line: i + 1, key: 'template_error', message: (e as Error).message });
    }
  });
  const sorted = [...lengths].sort((a, b) => a - b);
  const total = lengths.reduce((a, b) => a + b, 0);
  const counts: ValidationReport['counts'] = {};
  for (const e of errors) counts[e.key] = (counts[e.key] ?? 0) + 1;
  return {
    file,
    examples,
    formats,
    errors,
    counts,
    tokens: { total, assistant, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, mean: lengths.length ? total / lengths.length : 0, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), tokenizer: counter.name },
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
