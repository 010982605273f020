// `reprise generate`: chat prompts in, completions out. Each input line {"id", "messages", …} gets
// prompt_token_ids (the chat template with the generation prompt, tokenized without added special tokens, as
// transformers' apply_chat_template(tokenize=True)), token_ids (eos included when produced), text (the
// completion without eos), generation_prefix (the template's prefill, e.g. "<think>\n": the full answer is
// generation_prefix + text) and finish_reason (stop | length).
//
// Resumable and atomic: finished rows are appended to OUTPUT.partial as they come, next to OUTPUT.partial.json
// (the run's identity: model, template, sampling settings); a rerun keeps the rows whose identity, input line and
// prompt ids still match and redoes the rest; OUTPUT is written in input order, in one rename, when every row is done.
// Each row samples from its own Rng (seed, id), so its completion does not depend on batching or resumption.

import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import type { Tokenizer } from '../model/tokenizer.js';
import { encodeChatPrompt, type TemplateMessage } from '../model/chat-template.js';
import { InputError } from '../util/errors.js';
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { hashJson } from '../util/hash.js';
import { Progress, formatDuration } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import type { GenerationModel } from './generation-model.js';

export const GenerateInputLine = z
  .object({
    id: z.union([z.string().min(1), z.number().int()]),
    messages: z.array(z.object({ role: z.string().min(1), content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional() }).loose()).min(1),
    /** OpenAI-style tool schemas, passed to the chat template as `tools`. */
    tools: z.array(z.unknown()).optional(),
  })
  .loose();
export type GenerateInputLine = z.infer<typeof GenerateInputLine>;

export const GenerateSettings = z.object({
  max_tokens: z.number().int().min(1),
  temperature: z.number().min(0),
  top_p: z.number().gt(0).max(1),
  top_k: z.number().int().min(0),
  seed: z.number().int(),
  batch_size: z.number().int().min(1),
});
export type GenerateSettings = z.infer<typeof GenerateSettings>;

export interface GenerateRecord extends GenerateInputLine {
  prompt_token_ids: number[];
  token_ids: number[];
  text: string;
  generation_prefix: string;
  finish_reason: 'stop' | 'length';
}

export interface GenerateSummary {
  rows: number;
  resumed: number;
  completion_tokens: number;
  stop: number;
  length: number;
  wall_s: number;
  output: string;
}

/** Parses and checks the input file; a bad line is an E_INPUT naming the file, line and field. */
export function readGenerateInput(file: string): { rows: GenerateInputLine[]; lines: number[] } {
  if (!existsSync(file)) throw new InputError('input file not found', { file, hint: 'one {"id": …, "messages": [{"role": "user", "content": …}]} per line' });
  const text = readFileSync(file, 'utf8');
  const rows: GenerateInputLine[] = [];
  const lines: number[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, { file, line: i + 1 });
    }
    const r = GenerateInputLine.safeParse(v);
    if (!r.success) {
      const is = r.error.issues[0];
      throw new InputError(is.message, { file, line: i + 1, field: is.path.map(String).join('.') || undefined });
    }
    const key = String(r.data.id);
    if (seen.has(key)) throw new InputError(`id ${JSON.stringify(r.data.id)} is also on line ${seen.get(key)}`, { file, line: i + 1, field: 'id', hint: 'ids name the rows of the output and must be unique' });
    seen.set(key, i + 1);
    rows.push(r.data);
    lines.push(i + 1);
  });
  if (!rows.length) throw new InputError('no input lines', { file });
  return { rows, lines };
}

function completionText(tok: Tokenizer, ids: readonly number[], stopped: boolean): string {
  return tok.decode(stopped ? ids.slice(0, -1) : ids);
}

/** Rows already in OUTPUT.partial whose run identity, input line and prompt ids match; the file is rewritten with only those. */
function resumeRows(partial: string, identity: unknown, want: Map<string, { row: GenerateInputLine; ids: number[] }>): Map<string, GenerateRecord> {
  const kept = new Map<string, GenerateRecord>();
  const meta = `${partial}.json`;
  const prev = readJsonIfExists<unknown>(meta);
  if (existsSync(partial) && prev !== undefined && hashJson(prev) === hashJson(identity)) {
    for (const line of readFileSync(partial, 'utf8').split('\n')) {
      let r: GenerateRecord;
      try {
        r = JSON.parse(line) as GenerateRecord;
      } catch {
        continue; // empty or torn (killed mid-write): redone
      }
      const w = want.get(String(r?.id));
      if (!w || kept.has(String(r.id))) continue;
      const { prompt_token_ids, token_ids: _t, text: _x, generation_prefix: _g, finish_reason: _f, ...row } = r;
      if (hashJson(row) === hashJson(w.row) && hashJson(prompt_token_ids) === hashJson(w.ids)) kept.set(String(r.id), r);
    }
  }
  writeFileAtomic(partial, [...kept.values()].map((r) => JSON.stringify(r) + '\n').join(''));
  writeJsonAtomic(meta, identity);
  return kept;
}

export async function runGenerate(o: { model: GenerationModel; input: string; output: string; settings: GenerateSettings }): Promise<GenerateSummary> {
  const t0 = Date.now();
  const s = GenerateSettings.parse(o.settings);
  const { model } = o;
  const input = readGenerateInput(o.input);
  const prompts = new Map<string, number[]>();
  const prefixes = new Map<string, string>();
  input.rows.forEach((row, i) => {
    let p;
    try {
      p = encodeChatPrompt(model.template, model.tokenizer, row.messages as TemplateMessage[], { tools: row.tools });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.message, { file: o.input, line: input.lines[i], field: 'messages' });
      throw e;
    }
    if (p.ids.length >= model.contextLength)
      throw new InputError(`the prompt is ${p.ids.length} tokens; the model's context is ${model.contextLength}`, { file: o.input, line: input.lines[i], field: 'messages', hint: 'shorten the conversation' });
    prompts.set(String(row.id), p.ids);
    prefixes.set(String(row.id), p.generationPrefix);
  });
  const partial = `${o.output}.partial`;
  const { batch_size: _b, ...sampled } = s;
  const identity = { model_sha256: model.sha256, kind: model.kind, template: model.template.sha256, settings: sampled };
  const done = resumeRows(partial, identity, new Map(input.rows.map((row) => [String(row.id), { row, ids: prompts.get(String(row.id))! }])));
  const resumed = done.size;
  const todo = input.rows.filter((r) => !done.has(String(r.id)));
  const progress = new Progress({ label: 'generate', total: input.rows.length, unit: 'prompts' });
  progress.resumeAt(resumed);
  let tokens = 0;
  const sampling = { temperature: s.temperature, top_p: s.top_p, top_k: s.top_k, max_tokens: s.max_tokens };
  for (let at = 0; at < todo.length; at += s.batch_size) {
    const batch = todo.slice(at, at + s.batch_size);
    const res = await model.sample(
      batch.map((r) => prompts.get(String(r.id))!),
      sampling,
      batch.map((r) => new Rng(`generate/${s.seed}/${String(r.id)}`)),
    );
    const lines = batch.map((row, i) => {
      const r = res[i];
      tokens += r.tokens.length;
      const rec: GenerateRecord = { ...row, prompt_token_ids: prompts.get(String(row.id))!, token_ids: r.tokens, text: completionText(model.tokenizer, r.tokens, r.finished), generation_prefix: prefixes.get(String(row.id))!, finish_reason: r.finished ? 'stop' : 'length' };
      done.set(String(row.id), rec);
      return JSON.stringify(rec) + '\n';
    });
    appendFileSync(partial, lines.join(''));
    progress.update(done.size, { tok_s: tokens / Math.max((Date.now() - t0) / 1000, 1e-3) });
  }
  const records = input.rows.map((r) => done.get(String(r.id))!);
  writeFileAtomic(o.output, records.map((r) => JSON.stringify(r) + '\n').join(''));
  rmSync(partial, { force: true });
  rmSync(`${partial}.json`, { force: true });
  const stop = records.filter((r) => r.finish_reason === 'stop').length;
  return { rows: records.length, resumed, completion_tokens: records.reduce((a, r) => a + r.token_ids.length, 0), stop, length: records.length - stop, wall_s: (Date.now() - t0) / 1000, output: o.output };
}

export function formatSummary(x: GenerateSummary): string {
  return `[generate] ${x.rows} prompts (${x.resumed} resumed) · ${x.completion_tokens} completion tokens · finish: stop ${x.stop}, length ${x.length} · ${formatDuration(x.wall_s)} → ${x.output}`;
}
