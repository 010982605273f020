// Reads a table of rows from JSONL, a JSON array or parquet (hyparquet, pure JS), and gets columns by
// dotted path; a missing column is an error naming the file, the line and the columns that exist.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../util/errors.js';
import { parseJsonl, readJson, readJsonl } from '../util/fs.js';

export type Row = Record<string, unknown>;

/** The rows of a file (JSONL, JSONL.gz, a JSON array, parquet), in order; line numbers in errors are 1-based rows (JSONL lines count blank lines too). */
export async function readTable(path: string, limit?: number): Promise<Row[]> {
  let rows: unknown[];
  if (path.endsWith('.parquet')) {
    const { parquetReadObjects } = await import('hyparquet');
    const buf = readFileSync(path);
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    rows = await parquetReadObjects({ file, rowEnd: limit });
    rows = rows.map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))));
  } else if (path.endsWith('.json')) {
    const j = readJson(path);
    if (!Array.isArray(j)) throw new InputError('expected a JSON array of rows', { file: path, hint: 'use JSONL (one object per line) or a top-level array' });
    rows = j;
  } else if (path.endsWith('.gz')) rows = parseJsonl(gunzip(path), path);
  else rows = readJsonl(path);
  rows.forEach((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new InputError('row is not an object', { file: path, line: i + 1 });
  });
  return (limit !== undefined ? rows.slice(0, limit) : rows) as Row[];
}

function gunzip(path: string): string {
  const bytes = readFileSync(path);
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (e) {
    throw new InputError(`cannot gunzip: ${(e as Error).message}`, { file: path, hint: 'the file may be truncated; fetch it again' });
  }
}

/** `a.b.0.c` into nested objects and arrays; undefined when any step is missing. */
export function getPath(row: unknown, path: string): unknown {
  let v: unknown = row;
  for (const k of path.split('.')) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A column's value, which must be present (not null); the error lists the row's columns. */
export function requireColumn(row: Row, column: string, where: { file: string; line: number; field: string }): unknown {
  const v = getPath(row, column);
  if (v === undefined || v === null) {
    throw new InputError(`column "${column}" is missing`, { ...where, hint: `columns in this row: ${Object.keys(row).join(', ')}; set columns.${where.field} in the recipe` });
  }
  return v;
}

/** Text of a value: strings as they are, anything else as JSON. */
export function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
