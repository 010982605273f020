// File helpers: atomic writes (temp file + rename), JSON and JSONL reading with line-numbered errors.

import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from './errors.js';

let counter = 0;

/** Writes a file so that readers see the old or the new content, never a torn one. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${counter++}.tmp`;
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(path: string): T {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new InputError(`invalid JSON: ${(e as Error).message}`, { file: path, hint: 'the file may be truncated; delete it to regenerate' });
  }
}

export function readJsonIfExists<T = unknown>(path: string): T | undefined {
  return existsSync(path) ? readJson<T>(path) : undefined;
}

/** Parses a whole JSONL file; a bad line is an error naming the file and line. */
export function readJsonl<T = unknown>(path: string): T[] {
  const out: T[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, { file: path, line: i + 1 });
    }
  });
  return out;
}

/**
 * Reads the complete lines of a JSONL file that is appended to while jobs run; a torn last line
 * (a crash mid-write) is ignored and reported, so a resumed job redoes only that record.
 */
export function readJsonlTolerant<T = unknown>(path: string): { rows: T[]; torn: number } {
  if (!existsSync(path)) return { rows: [], torn: 0 };
  const rows: T[] = [];
  let torn = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line) as T);
    } catch {
      torn++;
    }
  }
  return { rows, torn };
}

export async function* streamJsonl<T = unknown>(path: string): AsyncGenerator<{ row: T; line: number }> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield { row: JSON.parse(line) as T, line: n };
    } catch (e) {
      throw new InputError(`invalid JSON: ${(e as Error).message}`, { file: path, line: n });
    }
  }
}

/** Appends one JSON record per line; the line goes out in one write call. */
export function appendJsonl(path: string, row: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, JSON.stringify(row) + '\n');
}

export function writeJsonlAtomic(path: string, rows: readonly unknown[]): void {
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}
