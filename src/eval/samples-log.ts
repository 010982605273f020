// The per-sample JSONL of an eval: one line per (problem, sample), appended as each completes. On resume a torn
// last line (SIGKILL mid-write) is cut off and failed or duplicate records are dropped, so the file ends with
// exactly one record per (problem, sample) however often the eval was killed.

import { closeSync, createReadStream, existsSync, fstatSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Scored } from './aggregate.js';

/** A scored sample; pred/pred_strict are the lenient and strict extractions (code: the program, both the same). */
export interface EvalSample extends Scored {
  problem_id: string;
  sample: number;
  gold: string;
  completion: string;
  reasoning?: string;
  /** The whole completion, reasoning included, where the source split it off (local checkpoints). */
  raw?: string;
  finish_reason: string;
  prompt_tokens: number;
  completion_tokens: number;
  endpoint: string;
  ms: number;
  /** Set when the request failed after all retries; such records are redone on resume. */
  error?: string;
}

export const sampleKey = (problemId: string, sample: number) => `${problemId}#${sample}`;

/** Cuts the file back to its last newline, so the next append starts a fresh line. Returns bytes dropped. */
export function cutTornTail(path: string): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const n = readSync(fd, buf, 0, end - start, start);
      const i = buf.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) {
        const keep = start + i + 1;
        if (keep < size) ftruncateSync(fd, keep);
        return size - keep;
      }
      end = start;
    }
    if (size > 0) ftruncateSync(fd, 0);
    return size;
  } finally {
    closeSync(fd);
  }
}

export interface ResumeScan {
  torn_bytes: number;
  dropped_errors: number;
  dropped_duplicates: number;
  unreadable_lines: number;
}

/**
 * Streams the complete records (first of each key, failed ones dropped) to `onRecord` and rewrites the file
 * without the dropped lines when there are any. Memory holds only the set of keys seen.
 */
export async function scanSamples(path: string, onRecord: (r: EvalSample) => void): Promise<ResumeScan> {
  const scan: ResumeScan = { torn_bytes: cutTornTail(path), dropped_errors: 0, dropped_duplicates: 0, unreadable_lines: 0 };
  if (!existsSync(path)) return scan;
  const seen = new Set<string>();
  const tmp = `${path}.${process.pid}.compact`;
  const out = openSync(tmp, 'w');
  let dropped = 0;
  try {
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      let r: EvalSample;
      try {
        r = JSON.parse(line) as EvalSample;
      } catch {
        scan.unreadable_lines++;
        dropped++;
        continue;
      }
      const k = sampleKey(r.problem_id, r.sample);
      if (r.error !== undefined) scan.dropped_errors++;
      else if (seen.has(k)) scan.dropped_duplicates++;
      else {
        seen.add(k);
        writeSync(out, line + '\n');
        onRecord(r);
        continue;
      }
      dropped++;
    }
  } finally {
    closeSync(out);
  }
  if (dropped > 0) renameSync(tmp, path);
  else rmSync(tmp, { force: true });
  return scan;
}

/** An append-only writer holding one file descriptor; each record goes out in one write call. */
export class SampleWriter {
  private readonly fd: number;
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }
  append(r: EvalSample): void {
    writeSync(this.fd, JSON.stringify(r) + '\n');
  }
  close(): void {
    closeSync(this.fd);
  }
}
