// Benchmark data files: finds a spec's file in the data directory (jsonl, json, jsonl.gz or parquet), reads its
// rows, and turns them into problems (id, chat messages, gold). Offline and missing, it says what to put where.

import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { EvalSpec } from '../config/eval-spec.js';
import { InputError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';

export interface BenchProblem {
  id: string;
  messages: { role: 'system' | 'user'; content: string }[];
  answer: string;
  /** The record as read, for scorers that need more than the gold (code tests). */
  raw: Record<string, unknown>;
}

export interface BenchData {
  file: string;
  sha256: string;
  problems: BenchProblem[];
}

/** The flag, else $REPRISE_DATA_DIR, else .reprise/data. */
export function dataDir(flag?: string): string {
  return resolve(flag ?? process.env.REPRISE_DATA_DIR ?? '.reprise/data');
}

/** `id` (gsm8k/train) names the variant in the fetch command; a spec's own name is its default variant. */
export function findDataFile(spec: EvalSpec, dir: string, id = spec.name): string {
  const base = join(dir, spec.dataset.local);
  for (const fmt of spec.dataset.formats) if (existsSync(`${base}.${fmt}`)) return `${base}.${fmt}`;
  const wanted = spec.dataset.formats.map((f) => `${spec.dataset.local}.${f}`).join(' or ');
  const how = spec.dataset.hf_id
    ? `run \`reprise data fetch ${id}\` while online (downloads ${spec.dataset.hf_id}@${spec.dataset.revision ?? 'main'}:${spec.dataset.hf_file}), or copy the file there by hand`
    : (spec.dataset.made_by ?? 'make the file and put it there');
  throw new InputError(`no data file for ${spec.name}: put ${wanted} in ${dir}`, { file: `${base}.${spec.dataset.formats[0]}`, hint: `${how}; another directory can be named with --data-dir or REPRISE_DATA_DIR` });
}

async function* jsonLines(file: string, gz: boolean): AsyncGenerator<Record<string, unknown>> {
  const input = gz ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  let n = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, { file, line: n, hint: 'the file may be truncated; fetch it again' });
    }
  }
}

export async function readRows(file: string): Promise<Record<string, unknown>[]> {
  if (file.endsWith('.parquet')) {
    const { parquetReadObjects } = await import('hyparquet');
    const buf = readFileSync(file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    return (await parquetReadObjects({ file: ab, rowFormat: 'object' })) as Record<string, unknown>[];
  }
  if (file.endsWith('.json')) {
    let v: unknown;
    try {
      v = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, { file });
    }
    if (!Array.isArray(v)) throw new InputError('a .json data file must hold an array of records', { file, hint: 'or write one record per line as .jsonl' });
    return v as Record<string, unknown>[];
  }
  const rows: Record<string, unknown>[] = [];
  for await (const r of jsonLines(file, file.endsWith('.gz'))) rows.push(r);
  return rows;
}

/** Reads `a.b.0.c` out of a record. */
export function getPath(row: unknown, path: string): unknown {
  let v: unknown = row;
  for (const k of path.split('.')) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) ? v.map(asText).join('\n') : typeof v === 'bigint' ? v.toString() : JSON.stringify(v));

/** `{field}` is replaced by the record's field (a dotted path; `problem` is the spec's problem field); `{{` `}}` are braces. */
export function renderTemplate(template: string, row: Record<string, unknown>, problemField: string, where: string): string {
  return template.replace(/\{\{|\}\}|\{([^{}]+)\}/g, (m, key: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const v = getPath(row, key === 'problem' ? problemField : key!);
    if (v === undefined) throw new InputError(`the prompt template uses {${key}} but the record has no such field`, { file: where, field: 'prompt.user', hint: 'write {{ and }} for literal braces' });
    return asText(v);
  });
}

export function toProblems(spec: EvalSpec, rows: readonly Record<string, unknown>[], file: string): BenchProblem[] {
  const f = spec.dataset.fields;
  const out: BenchProblem[] = [];
  rows.forEach((row, i) => {
    const id = f.id ? asText(getPath(row, f.id)) : String(i);
    if (spec.dataset.id_range) {
      const n = Number(id);
      if (!(n >= spec.dataset.id_range[0] && n <= spec.dataset.id_range[1])) return;
    }
    const gold = getPath(row, f.answer);
    if (gold === undefined || getPath(row, f.problem) === undefined) {
      throw new InputError(`record ${i + 1} lacks the field "${gold === undefined ? f.answer : f.problem}"`, { file, line: i + 1, field: `dataset.fields`, hint: `its keys are: ${Object.keys(row).join(', ')}` });
    }
    let answer = asText(gold);
    if (spec.dataset.answer_after) answer = answer.slice(answer.lastIndexOf(spec.dataset.answer_after) + spec.dataset.answer_after.length).replace(/,/g, '').trim();
    const messages: BenchProblem['messages'] = [];
    if (spec.prompt.system) messages.push({ role: 'system', content: spec.prompt.system });
    messages.push({ role: 'user', content: renderTemplate(spec.prompt.user, row, f.problem, file) });
    out.push({ id, messages, answer, raw: row });
  });
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.id)) throw new InputError(`problem id "${p.id}" occurs twice`, { file, field: `dataset.fields.id (${f.id ?? 'row number'})`, hint: 'name a field that is unique per record' });
    seen.add(p.id);
  }
  return out;
}

export async function loadBench(spec: EvalSpec, opts: { dataDir?: string; limit?: number; id?: string } = {}): Promise<BenchData> {
  const file = findDataFile(spec, dataDir(opts.dataDir), opts.id);
  const problems = toProblems(spec, await readRows(file), file);
  return { file, sha256: await sha256File(file), problems: opts.limit ? problems.slice(0, opts.limit) : problems };
}
