// File helpers: atomic writes (temp file + rename), JSON and JSONL reading with line-numbered errors. A failed
// read or write is a RepriseError naming the file (E_INPUT for what the user gave, E_IO for a full disk…).

import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync, appendFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError, RepriseError } from './errors.js';

let counter = 0;

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'part of the path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a directory is in the way',
  ENOTDIR: 'part of the path is a file, not a directory',
  EEXIST: 'part of the path is a file, not a directory',
  ENOENT: 'no such directory',
};

/** A Node fs error (ENOENT, EISDIR, ENOSPC, …) as a RepriseError naming the file; anything else unchanged. */
export function fsError(e: unknown, path: string, op: 'read' | 'write'): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (!code || e instanceof RepriseError) return e;
  if (op === 'read' && READ_ERRORS[code]) return new InputError(READ_ERRORS[code], { file: path });
  if (op === 'write' && WRITE_ERRORS[code]) {
    const hint = code === 'ENOSPC' || code === 'EDQUOT' ? 'free some space (or write elsewhere: --work-dir, --reports, --out) and run again; finished stages are kept' : undefined;
    return new RepriseError('E_IO', `${path}: ${WRITE_ERRORS[code]} (${code}, cannot write)`, hint);
  }
  return e;
}

/** Any fs error that reached the top (a read or write not made through these helpers), as a RepriseError. */
export function uncaughtFsError(e: unknown): RepriseError | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!err?.code || !err.syscall) return undefined;
  const write = ['write', 'rename', 'mkdir', 'copyfile', 'unlink', 'link', 'ftruncate', 'fsync', 'rmdir'].includes(err.syscall) || ['ENOSPC', 'EDQUOT', 'EROFS'].includes(err.code);
  // some errors (EISDIR on read, ENOSPC on write) come without the path: the operation is named instead
  const out = fsError(e, err.path ?? `(${err.syscall})`, write ? 'write' : 'read');
  return out instanceof RepriseError ? out : undefined;
}

/** Reads a whole text file; a missing file, a directory or no permission is an E_INPUT naming it. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fsError(e, path, 'read');
  }
}

/** Writes a file so that readers see the old or the new content, never a torn one; a failed write leaves no temporary file. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${counter++}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw fsError(e, path, 'write');
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(path: string): T {
  const text = readText(path);
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
  return parseJsonl<T>(readText(path), path);
}

/** JSONL text read from `path` (a gunzipped file, say): one value per non-blank line, errors naming the line. */
export function parseJsonl<T = unknown>(text: string, path: string): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
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
  for (const line of readText(path).split('\n')) {
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
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
  } catch (e) {
    throw fsError(e, path, 'read');
  }
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
  try {
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, JSON.stringify(row) + '\n');
  } catch (e) {
    throw fsError(e, path, 'write');
  }
}

export function writeJsonlAtomic(path: string, rows: readonly unknown[]): void {
  writeFileAtomic(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}
