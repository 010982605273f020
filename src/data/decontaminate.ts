// Decontamination as open-r1 does it (scripts/decontaminate.py): lower-case, collapse whitespace, split on
// spaces; a training item that shares any word n-gram (8 by default) with a benchmark problem is dropped.
// Texts shorter than n words have no n-grams and so never match (open-r1's behaviour, kept on purpose).

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BenchmarkSource } from '../config/datagen-spec.js';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { asText, getPath, readTable } from './table.js';

export const DEFAULT_NGRAM = 8;

/** The benchmarks of ../shared/benchmarks (or any folder laid out the same way) with their problem fields: what a
 * version-1 recipe's `decontaminate` with neither list means; newer recipes name eval specs instead. */
export function defaultBenchmarkSources(dir: string): BenchmarkSource[] {
  return [
    { bench: 'math500', path: resolve(dir, 'math500/test.jsonl'), field: 'problem' },
    { bench: 'gsm8k', path: resolve(dir, 'gsm8k/test.jsonl'), field: 'question' },
    { bench: 'aime24', path: resolve(dir, 'aime24/test.jsonl'), field: 'problem' },
    { bench: 'aime25', path: resolve(dir, 'aime25/test.jsonl'), field: 'problem' },
    { bench: 'humaneval', path: resolve(dir, 'humaneval/HumanEval.jsonl'), field: 'prompt' },
    { bench: 'mbpp', path: resolve(dir, 'mbpp/mbpp.jsonl'), field: 'text' },
  ];
}

export function normalizeText(text: string): string {
  return text.toLowerCase().trim().split(/\s+/).filter(Boolean).join(' ');
}

export function wordNgrams(text: string, n: number): string[] {
  const words = normalizeText(text).split(' ').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '));
  return out;
}

/** n-gram → the benchmarks whose problems contain it. */
export class NgramIndex {
  private readonly grams = new Map<string, Set<string>>();
  readonly problems: Record<string, number> = {};
  constructor(readonly n: number = DEFAULT_NGRAM) {}

  add(bench: string, text: string): void {
    this.problems[bench] = (this.problems[bench] ?? 0) + 1;
    for (const g of wordNgrams(text, this.n)) {
      let s = this.grams.get(g);
      if (!s) this.grams.set(g, (s = new Set()));
      s.add(bench);
    }
  }

  /** The benchmarks sharing an n-gram with `text`, sorted; empty when clean. */
  match(text: string): string[] {
    const hit = new Set<string>();
    for (const g of wordNgrams(text, this.n)) for (const b of this.grams.get(g) ?? []) hit.add(b);
    return [...hit].sort();
  }
}

/** Builds the index from benchmark files; a missing file or field is an error naming it. */
export async function loadBenchmarkIndex(sources: readonly BenchmarkSource[], n = DEFAULT_NGRAM): Promise<NgramIndex> {
  const index = new NgramIndex(n);
  for (const s of sources) {
    if (!existsSync(s.path)) throw new InputError(`benchmark file for "${s.bench}" not found`, { file: s.path, hint: 'point decontaminate.benchmarks at the file, or name eval specs in decontaminate.specs (their files are found in the data directory: --data-dir, $REPRISE_DATA_DIR, .reprise/data)' });
    const rows = await readTable(s.path);
    rows.forEach((r, i) => {
      const v = getPath(r, s.field);
      if (v === undefined) throw new InputError(`no field "${s.field}" in benchmark "${s.bench}"`, { file: s.path, line: i + 1, field: s.field, hint: `fields here: ${Object.keys(r).join(', ')}` });
      index.add(s.bench, asText(v));
    });
  }
  return index;
}

export interface DecontaminationReport {
  ngram: number;
  checked: number;
  dropped: number;
  /** Items dropped per benchmark (an item matching two benchmarks counts in both). */
  per_benchmark: Record<string, number>;
  /** The ids of dropped items, with the benchmarks they matched. */
  examples: { id: string; benchmarks: string[] }[];
}

export function decontaminate<T>(rows: readonly T[], textOf: (r: T) => string, idOf: (r: T, i: number) => string, index: NgramIndex): { kept: T[]; report: DecontaminationReport } {
  const kept: T[] = [];
  const report: DecontaminationReport = { ngram: index.n, checked: rows.length, dropped: 0, per_benchmark: Object.fromEntries(Object.keys(index.problems).map((b) => [b, 0])), examples: [] };
  rows.forEach((r, i) => {
    const hit = index.match(textOf(r));
    if (!hit.length) return void kept.push(r);
    report.dropped++;
    for (const b of hit) report.per_benchmark[b] = (report.per_benchmark[b] ?? 0) + 1;
    if (report.examples.length < 100) report.examples.push({ id: idOf(r, i), benchmarks: hit });
  });
  return { kept, report };
}

/** The user turns of a chat row, joined: what is compared with benchmark problems. */
export function promptText(row: { messages?: { role: string; content: unknown }[] }): string {
  return (row.messages ?? []).filter((m) => m.role === 'user').map((m) => asText(m.content)).join('\n');
}

/** Decontaminates a chat JSONL file by its user turns, writing the kept lines (byte for byte) atomically. */
export function decontaminateChatFile(input: string, output: string, index: NgramIndex): DecontaminationReport {
  const lines = readFileSync(input, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const rows = lines.map((text, i) => {
    try {
      return { text, row: JSON.parse(text) as { id?: unknown; messages?: { role: string; content: unknown }[] }, line: i + 1 };
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, { file: input, line: i + 1 });
    }
  });
  const { kept, report } = decontaminate(rows, (r) => promptText(r.row), (r) => (typeof r.row.id === 'string' ? r.row.id : `line ${r.line}`), index);
  writeFileAtomic(output, kept.map((r) => r.text + '\n').join(''));
  return report;
}
