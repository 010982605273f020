// `reprise exec --input in.jsonl --output out.jsonl [--concurrency N]`: runs each line's program in the code
// sandbox. In: {id, language: "python"|"javascript", code, timeout_s?}. Out, in input order: {id, status,
// exit_code, stdout, stderr, wall_ms}. A malformed line is reported with its number and skipped. SIGINT, SIGTERM
// or SIGHUP kill every running program and remove its files before exiting 128 + the signal's number.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { Progress, log } from '../util/progress.js';
import { defaultConcurrency, isolation, runProgram, setConcurrency, stopAll, sweepOnce, type RunResult, type RunStatus } from '../verify/sandbox/index.js';

const Line = z
  .object({
    id: z.union([z.string(), z.number()]),
    language: z.enum(['python', 'javascript']),
    code: z.string(),
    timeout_s: z.number().positive().max(600).optional(),
  })
  .strict();

export type ExecSummary = Record<RunStatus, number> & { ran: number; malformed: number; wall_s: number };

export async function execCommand(opts: { input: string; output: string; concurrency?: string }): Promise<ExecSummary> {
  const n = opts.concurrency === undefined ? defaultConcurrency() : Number(opts.concurrency);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--concurrency must be a positive integer, got "${opts.concurrency}"`, { field: 'concurrency' });
  setConcurrency(n);
  const iso = isolation();
  log(`[exec] sandbox mode ${iso.mode}, ${n} at a time${iso.notes.length ? `; ${iso.notes.join('; ')}` : ''}`);
  const swept = await sweepOnce(iso);
  if (swept.dirs + swept.cgroups > 0) log(`[exec] removed what dead runs left: ${swept.dirs} directories, ${swept.cgroups} cgroups, ${swept.killed} processes`);

  const rows: { line: number; row: z.infer<typeof Line> }[] = [];
  let malformed = 0;
  let lineNo = 0;
  for await (const text of createInterface({ input: createReadStream(opts.input), crlfDelay: Infinity })) {
    lineNo++;
    if (text.trim() === '') continue;
    const r = parseLine(text, opts.input, lineNo);
    if (r instanceof InputError) {
      malformed++;
      log(`[exec] skipped: ${r.message}`);
    } else rows.push({ line: lineNo, row: r });
  }

  const t0 = performance.now();
  const s = { passed: 0, failed: 0, timeout: 0, memory: 0, error: 0 } as Record<RunStatus, number>;
  const progress = new Progress({ label: 'exec', total: rows.length, unit: 'programs' });
  let done = 0;
  // A signal kills every program and exits once their files are gone; the output is not written.
  let stopping: Promise<never> | undefined;
  const stopOn = (sig: NodeJS.Signals, code: number) => () => {
    log(`[exec] ${sig}: stopping ${rows.length - done} unfinished programs; no output written`);
    stopping = stopAll().then(() => process.exit(code));
  };
  const handlers = new Map([['SIGINT', stopOn('SIGINT', 130)], ['SIGTERM', stopOn('SIGTERM', 143)], ['SIGHUP', stopOn('SIGHUP', 129)]] as const);
  handlers.forEach((h, sig) => process.once(sig, h));
  const results = await Promise.all(
    rows.map(async ({ row }) => {
      const r: RunResult = await runProgram({ language: row.language, code: row.code, timeoutS: row.timeout_s });
      s[r.status]++;
      progress.update(++done, { ...s });
      return { id: row.id, status: r.status, exit_code: r.exitCode, stdout: r.stdout, stderr: r.stderr, wall_ms: r.wallMs };
    }),
  ).finally(() => handlers.forEach((h, sig) => process.off(sig, h)));
  if (stopping) await stopping;
  writeFileAtomic(opts.output, results.map((r) => JSON.stringify(r)).join('\n') + (results.length ? '\n' : ''));
  const summary: ExecSummary = { ...s, ran: rows.length, malformed, wall_s: Number(((performance.now() - t0) / 1000).toFixed(2)) };
  log(`[exec] ${summary.ran} programs in ${summary.wall_s}s: ${(['passed', 'failed', 'timeout', 'memory', 'error'] as const).map((k) => `${k} ${s[k]}`).join(', ')}; ${malformed} malformed lines skipped → ${opts.output}`);
  return summary;
}

function parseLine(text: string, file: string, line: number): z.infer<typeof Line> | InputError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return new InputError(`invalid JSON: ${(e as Error).message}`, { file, line });
  }
  const r = Line.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  return new InputError(issue.message, { file, line, field: issue.path.join('.') || undefined, hint: 'each line is {id, language: "python"|"javascript", code, timeout_s?}' });
}
