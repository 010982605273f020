// open-r1's generate step: prompts from a table, k completions each from a teacher behind OpenAI-compatible
// endpoints, each kept only if it verifies against the gold (rejection sampling), deduplicated, written as
// chat JSONL for SFT. Bounded concurrency, retries (in the pool), resume by prompt id, usage, progress.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { DatagenRecipe, DistillSpec } from '../../src/config/datagen-spec.js';
import { loadSpec } from '../../src/config/eval-spec.js';
import { dataDir, findDataFile } from '../../src/data/bench-data.js';
import { decontaminate, type DecontaminationReport, type NgramIndex } from '../../src/data/decontaminate.js';
import { appendRecord, dedupKey, openRecordLog, r1Assistant, statsBySource, type ChatRow, type PromptRecord } from '../../src/data/distill-records.js';
import { fileEntry, writeManifest, type DatasetManifest } from '../../src/data/manifest.js';
import { asText, readTable, requireColumn } from '../../src/data/table.js';
import { OpenAIPool, type ChatRequest } from '../../src/inference/openai-client.js';
import { countReasons, FailureRateError, InputError } from '../../src/util/errors.js';
import { readJson, writeFileAtomic } from '../../src/util/fs.js';
import { sha256File } from '../../src/util/hash.js';
import { Progress, log } from '../../src/util/progress.js';
import { makeVerifier } from './verify.js';

export interface Prompt {
  id: string;
  index: number;
  prompt: string;
  gold: string;
  source: string;
}

/** Reads the input's prompts with the recipe's column names; ids must be unique (they are the resume keys). */
export async function readPrompts(spec: DistillSpec, file: string): Promise<Prompt[]> {
  const rows = await readTable(file, spec.limit);
  const seen = new Map<string, number>();
  return rows.map((row, i) => {
    const at = (field: string) => ({ file, line: i + 1, field: `columns.${field}` });
    const cols = Array.isArray(spec.columns.answer) ? spec.columns.answer : [spec.columns.answer];
    const golds = cols.map((c) => requireColumn(row, c, at('answer')));
    const gold = Array.isArray(spec.columns.answer) ? JSON.stringify(Object.fromEntries(cols.map((c, k) => [c.split('.').at(-1)!, golds[k]]))) : asText(golds[0]);
    const id = spec.columns.id ? asText(requireColumn(row, spec.columns.id, at('id'))) : String(i);
    if (seen.has(id)) throw new InputError(`duplicate prompt id "${id}" (first on line ${seen.get(id)})`, { ...at('id'), hint: 'ids are the resume keys and must be unique; name another id column, or drop columns.id to use row numbers' });
    seen.set(id, i + 1);
    const source = spec.columns.source ? asText(requireColumn(row, spec.columns.source, at('source'))) : 'all';
    return { id, index: i, prompt: spec.prompt_template.replaceAll('{prompt}', asText(requireColumn(row, spec.columns.prompt, at('prompt')))), gold, source };
  });
}

/** The prompts' file, and how the manifest names it: the input path as written, or the eval spec, the file in the data directory and its SHA-256. */
async function promptsFile(spec: DistillSpec, recipePath: string, dataDirFlag?: string): Promise<{ file: string; source: Record<string, unknown> }> {
  if (!spec.benchmark) return { file: resolve(dirname(recipePath), spec.input!), source: { input: spec.input } };
  const { spec: evalSpec, id } = loadSpec(spec.benchmark);
  const dir = dataDir(dataDirFlag);
  const file = findDataFile(evalSpec, dir, id);
  return { file, source: { benchmark: { spec: id, file: relative(dir, file), sha256: await sha256File(file) } } };
}

/** What decides a prompt's record (not the limit, the concurrency or the endpoints' addresses: a larger limit or another server resumes). */
function recordsKey(spec: DistillSpec, recipe: DatagenRecipe, source: Record<string, unknown>): Record<string, unknown> {
  return {
    recipe: { name: recipe.name, version: recipe.version },
    prompts: source,
    columns: spec.columns,
    system_prompt: spec.system_prompt ?? null,
    prompt_template: spec.prompt_template,
    teachers: spec.endpoints.map((e) => e.model),
    k: spec.k,
    sampling: spec.sampling,
    verifier: spec.verifier,
    max_keep_per_prompt: spec.max_keep_per_prompt ?? null,
  };
}

function flatten(v: unknown, at = '', out: Record<string, string> = {}): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, at ? `${at}.${k}` : k, out);
  else out[at] = JSON.stringify(v);
  return out;
}

/** What records.key.json must hold to be compared (the rest is compared as it is). */
const StoredKey = z.looseObject({ recipe: z.object({ name: z.string(), version: z.number() }) });

/** The folder's records are resumed only by the settings that made them (records.key.json); a folder without records is claimed. */
function claimRecords(dir: string, key: Record<string, unknown>): void {
  const file = join(dir, 'records.key.json');
  if (existsSync(file)) {
    const read = StoredKey.safeParse(readJson(file));
    if (!read.success) throw new InputError(`not a records key: ${read.error.issues[0].message}`, { file, field: read.error.issues[0].path.join('.'), hint: 'delete the folder to start again' });
    const had = flatten(read.data);
    const now = flatten(key);
    const changed = [...new Set([...Object.keys(had), ...Object.keys(now)])].filter((k) => had[k] !== now[k]);
    if (changed.length) {
      const { name, version } = read.data.recipe;
      throw new InputError(`${join(dir, 'records.jsonl')} holds completions made by ${name} v${version} with other settings: ${changed.map((k) => `${k.replace(/^recipe\./, '')}: ${had[k] ?? '(none)'} → ${now[k] ?? '(none)'}`).join('; ')}`, { file, hint: 'name another folder with --out-dir (or out_dir in the recipe), or delete this one to start again' });
    }
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(file, JSON.stringify(key, null, 2) + '\n');
}

export async function runDistill(spec: DistillSpec, dir: string, recipe: DatagenRecipe, recipePath: string, index?: NgramIndex, dataDirFlag?: string): Promise<DatasetManifest> {
  const { file: input, source } = await promptsFile(spec, recipePath, dataDirFlag);
  let prompts = await readPrompts(spec, input);
  let decontamination: DecontaminationReport | undefined;
  if (index) ({ kept: prompts, report: decontamination } = decontaminate(prompts, (p) => p.prompt, (p) => p.id, index));
  if (decontamination?.dropped) log(`[distill ${spec.name}] decontamination dropped ${decontamination.dropped} prompt(s): ${JSON.stringify(decontamination.per_benchmark)}`);

  const logFile = join(dir, 'records.jsonl');
  claimRecords(dir, recordsKey(spec, recipe, source));
  const { done, torn } = openRecordLog(logFile);
  if (torn) log(`[distill ${spec.name}] cut ${torn} torn line(s) from ${logFile}; those prompts are redone`);
  const todo = prompts.filter((p) => !done.has(p.id));
  if (done.size) log(`[distill ${spec.name}] resuming: ${prompts.length - todo.length} of ${prompts.length} prompts already done`);

  const pool = new OpenAIPool(spec.endpoints, { concurrency: spec.concurrency, max_retries: spec.max_retries });
  const verify = makeVerifier(spec.verifier);
  const limit = pLimit(spec.concurrency);
  const progress = new Progress({ label: `distill ${spec.name}`, total: prompts.length, unit: 'prompts' });
  progress.resumeAt(prompts.length - todo.length);
  const failed: { id: string; error: string }[] = [];
  const goldUnparsed: string[] = [];
  let finished = prompts.length - todo.length;
  let kept = 0;
  let completions = 0;

  await Promise.all(
    todo.map((p) =>
      limit(async () => {
        const messages: ChatRequest['messages'] = [...(spec.system_prompt ? [{ role: 'system' as const, content: spec.system_prompt }] : []), { role: 'user', content: p.prompt }];
        let res;
        try {
          res = await pool.chat({ messages, n: spec.k, ...spec.sampling });
        } catch (e) {
          failed.push({ id: p.id, error: (e as Error).message.split('\n')[0] });
          return;
        }
        const rec: PromptRecord = { prompt_id: p.id, index: p.index, source: p.source, rows: [], stats: { returned: res.choices.length, correct: 0, duplicates: 0, kept: 0, truncated: 0 }, usage: res.usage };
        const keys = new Set<string>();
        for (const c of res.choices) {
          if (c.finish_reason === 'length') {
            rec.stats.truncated++;
            continue;
          }
          const ok = verify(p.gold, c.text);
          if (ok === null) goldUnparsed.push(p.id);
          if (!ok) continue;
          rec.stats.correct++;
          const key = dedupKey(c.reasoning, c.text);
          if (keys.has(key)) {
            rec.stats.duplicates++;
            continue;
          }
          keys.add(key);
          if (spec.max_keep_per_prompt !== undefined && rec.rows.length >= spec.max_keep_per_prompt) continue;
          const row: ChatRow = {
            id: `${p.id}-${rec.rows.length}`,
            messages: [...messages, { role: 'assistant', content: r1Assistant(c.reasoning, c.text) }],
            answer: p.gold,
            meta: { prompt_id: p.id, source: p.source, endpoint: res.endpoint },
          };
          rec.rows.push(row);
        }
        rec.stats.kept = rec.rows.length;
        appendRecord(logFile, rec);
        done.set(p.id, rec);
        finished++;
        kept += rec.stats.kept;
        completions += rec.stats.returned;
        progress.update(finished, { kept, keep_rate: completions ? kept / completions : 0, failed: failed.length });
      }),
    ),
  );

  if (failed.length && (failed.length / prompts.length > spec.max_error_rate || done.size === 0)) {
    // a dataset missing prompts must not look complete; records.jsonl keeps the finished ones for the rerun
    for (const f of ['train.jsonl', 'manifest.json']) rmSync(join(dir, f), { force: true });
    throw new FailureRateError({ subject: `distill ${spec.name}`, failed: failed.length, total: prompts.length, unit: 'prompts', limit: 'max_error_rate', maxRate: spec.max_error_rate, noneLeft: done.size === 0, reasons: countReasons(failed.map((f) => f.error)), output: 'dataset', hint: `rerun the same command to retry only the failed prompts, or allow some with max_error_rate in the recipe` });
  }
  const records = prompts.filter((p) => done.has(p.id)).map((p) => done.get(p.id)!);
  const text = records.flatMap((r) => r.rows.map((row) => JSON.stringify(row))).join('\n') + (records.some((r) => r.rows.length) ? '\n' : '');
  writeFileAtomic(join(dir, 'train.jsonl'), text);
  const usage = records.reduce((u, r) => ({ prompt_tokens: u.prompt_tokens + r.usage.prompt_tokens, completion_tokens: u.completion_tokens + r.usage.completion_tokens }), { prompt_tokens: 0, completion_tokens: 0 });
  const bySource = statsBySource(records);
  const m: DatasetManifest = {
    dataset: spec.name,
    kind: 'distill',
    generator: spec.endpoints.map((e) => e.model).join(','),
    generator_version: 1,
    recipe: { name: recipe.name, version: recipe.version },
    params: { ...source, columns: spec.columns, k: spec.k, sampling: spec.sampling, verifier: spec.verifier, prompt_template: spec.prompt_template, system_prompt: spec.system_prompt ?? null },
    counts: { prompts: prompts.length, done: records.length, failed: failed.length, rows: records.reduce((a, r) => a + r.rows.length, 0) },
    files: { 'train.jsonl': fileEntry(text) },
    stats: { by_source: bySource, failures: pool.failures(), failed_prompts: failed.slice(0, 100), gold_unparsed: [...new Set(goldUnparsed)].slice(0, 100), usage, ...(decontamination ? { decontamination } : {}) },
  };
  writeManifest(dir, m);
  for (const [src, s] of Object.entries(bySource)) log(`[distill ${spec.name}] ${src}: keep-rate ${(100 * s.keep_rate).toFixed(1)}% (${s.correct}/${s.completions}), ${s.kept} rows kept, ${s.duplicates} duplicates, ${s.prompts_covered}/${s.prompts} prompts covered`);
  log(`[distill ${spec.name}] tokens: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion; endpoint failures: ${JSON.stringify(pool.failures())}`);
  if (failed.length) log(`[distill ${spec.name}] ${failed.length} prompt(s) failed after retries; run the same command again to retry only those`);
  return m;
}
