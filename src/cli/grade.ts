// `reprise grade --input in.jsonl --output out.jsonl [--benchmark gsm8k] [--strict]`: extracts and judges each
// line's completion against its gold (a line with "finished": false, cut off by the length limit, is read strictly:
// see src/verify/extract.ts). A malformed line is reported with its number and skipped; the output is
// written atomically at the end, with a summary line on stderr.

import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { Progress, log } from '../util/progress.js';
import { BENCHMARK_PRESETS, gradeMath, presetFor } from '../verify/grade-math.js';

export interface GradeSummary {
  graded: number;
  correct: number;
  incorrect: number;
  unjudged: number;
  malformed: number;
  timeouts: number;
  unknown: number;
  /** Predictions refused as unparseable or too long (judged incorrect). */
  unparsed: number;
}

export async function gradeCommand(opts: { input: string; output: string; benchmark?: string; strict?: boolean }): Promise<GradeSummary> {
  const total = readFileSync(opts.input, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  const progress = new Progress({ label: 'grade', total, unit: 'lines' });
  const s: GradeSummary = { graded: 0, correct: 0, incorrect: 0, unjudged: 0, malformed: 0, timeouts: 0, unknown: 0, unparsed: 0 };
  const out: string[] = [];
  const warned = new Set<string>();
  let lineNo = 0;
  const rl = createInterface({ input: createReadStream(opts.input), crlfDelay: Infinity });
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    const row = parseRow(line, opts.input, lineNo);
    if (row instanceof InputError) {
      s.malformed++;
      log(`[grade] skipped: ${row.message}`);
      continue;
    }
    const bench = typeof row.benchmark === 'string' ? row.benchmark : opts.benchmark;
    const preset = bench ? presetFor(bench) : 'default';
    if (bench && !preset && !warned.has(bench)) {
      warned.add(bench);
      log(`[grade] no extraction preset for benchmark "${bench}"; using "default" (known: ${Object.keys(BENCHMARK_PRESETS).join(', ')})`);
    }
    const j = gradeMath(String(row.gold), row.completion as string, { strict: opts.strict, preset: preset ?? 'default', finished: row.finished === false ? false : undefined });
    const { pred, rule, correct } = j;
    s.graded++;
    if (correct === null) s.unjudged++;
    else if (correct) s.correct++;
    else s.incorrect++;
    const unparsed = j.via === 'pred_unparsed' || j.via === 'too_long';
    if (unparsed) s.unparsed++;
    if (j.verdict === 'unknown') {
      s.unknown++;
      if (j.via === 'timeout') s.timeouts++;
    }
    out.push(JSON.stringify({ ...row, pred, rule, correct, ...(j.verdict === 'unknown' ? { undecided: j.via } : {}), ...(unparsed ? { unparsed: j.via } : {}) }));
    progress.update(s.graded + s.malformed, { correct: s.correct, malformed: s.malformed });
  }
  writeFileAtomic(opts.output, out.join('\n') + (out.length ? '\n' : ''));
  const acc = s.correct + s.incorrect > 0 ? ((100 * s.correct) / (s.correct + s.incorrect)).toFixed(1) : '-';
  log(`[grade] ${s.graded} graded: correct ${s.correct}, incorrect ${s.incorrect} (${acc}% of judged), unjudged ${s.unjudged}, malformed ${s.malformed}, timeouts ${s.timeouts} (undecided ${s.unknown}), unparsed predictions ${s.unparsed} -> ${opts.output}`);
  return s;
}

function parseRow(line: string, file: string, n: number): Record<string, unknown> | InputError {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch (e) {
    return new InputError(`invalid JSON: ${(e as Error).message}`, { file, line: n });
  }
  if (!row || typeof row !== 'object' || Array.isArray(row)) return new InputError('expected a JSON object', { file, line: n });
  const r = row as Record<string, unknown>;
  if (typeof r.gold !== 'string' && typeof r.gold !== 'number') return new InputError('missing or not a string', { file, line: n, field: 'gold' });
  if (typeof r.completion !== 'string') return new InputError('missing or not a string', { file, line: n, field: 'completion' });
  return r;
}
