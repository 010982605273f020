// The distillation work log: one JSONL line per finished prompt with all its kept rows, appended in one
// write. A crash leaves at most a torn last line, which is cut off on resume, so a prompt's rows are written
// exactly once; the dataset file is rebuilt from the log at the end. Also the R1 chat format and dedup keys.

import { closeSync, existsSync, openSync, readFileSync, ftruncateSync } from 'node:fs';
import { appendJsonl } from '../util/fs.js';
import { sha256 } from '../util/hash.js';

export interface ChatRow {
  id: string;
  messages: { role: 'system' | 'user' | 'assistant'; content: string }[];
  answer: string;
  meta: Record<string, string | number>;
}

export interface PromptRecord {
  prompt_id: string;
  /** Row index in the input, for writing the dataset in input order. */
  index: number;
  source: string;
  rows: ChatRow[];
  /** completions returned, verified correct, duplicates among the correct, kept. */
  stats: { returned: number; correct: number; duplicates: number; kept: number; truncated: number };
  usage: { prompt_tokens: number; completion_tokens: number };
}

/**
 * Reads the finished prompts of a log, first record per prompt id. A last line without its newline (a
 * crash mid-append) is cut from the file, so the next append starts a clean line.
 */
export function openRecordLog(path: string): { done: Map<string, PromptRecord>; torn: number } {
  const done = new Map<string, PromptRecord>();
  if (!existsSync(path)) return { done, torn: 0 };
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(0x0a) + 1;
  let torn = 0;
  if (end < buf.length) {
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, end);
    } finally {
      closeSync(fd);
    }
    torn++;
  }
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as PromptRecord;
      if (!done.has(r.prompt_id)) done.set(r.prompt_id, r);
    } catch {
      torn++;
    }
  }
  return { done, torn };
}

export function appendRecord(path: string, r: PromptRecord): void {
  appendJsonl(path, r);
}

/** The assistant turn of an SFT row in R1's format: the reasoning inside <think>, then the answer text. */
export function r1Assistant(reasoning: string | undefined, text: string): string {
  return reasoning !== undefined && reasoning.trim() !== '' ? `<think>\n${reasoning.trim()}\n</think>\n${text.trim()}` : text.trim();
}

/** Two completions are duplicates when they are equal up to whitespace. */
export function dedupKey(reasoning: string | undefined, text: string): string {
  return sha256(`${(reasoning ?? '').replace(/\s+/g, ' ').trim()}\u0000${text.replace(/\s+/g, ' ').trim()}`);
}

export interface SourceStats {
  prompts: number;
  completions: number;
  correct: number;
  kept: number;
  duplicates: number;
  /** correct / completions: the rejection-sampling keep-rate before dedup. */
  keep_rate: number;
  /** Prompts with at least one kept row. */
  prompts_covered: number;
}

export function statsBySource(records: Iterable<PromptRecord>): Record<string, SourceStats> {
  const out: Record<string, SourceStats> = {};
  for (const r of records) {
    const s = (out[r.source] ??= { prompts: 0, completions: 0, correct: 0, kept: 0, duplicates: 0, keep_rate: 0, prompts_covered: 0 });
    s.prompts++;
    s.completions += r.stats.returned;
    s.correct += r.stats.correct;
    s.kept += r.stats.kept;
    s.duplicates += r.stats.duplicates;
    if (r.stats.kept > 0) s.prompts_covered++;
  }
  for (const s of Object.values(out)) s.keep_rate = s.completions ? s.correct / s.completions : 0;
  return out;
}
