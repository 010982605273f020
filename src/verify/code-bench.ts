// Code benchmarks: take the code out of a completion, put it together with HumanEval's or MBPP's tests, run it
// in the sandbox, and score. Also the timing benchmark behind `npm run bench` (benchCode).

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultConcurrency, isolation, runMany, runProgram, type Language, type RunResult, type SandboxOptions } from './sandbox/index.js';

/** Fence tags that name each language. */
export const LANGUAGE_TAGS: Record<Language, string[]> = { python: ['python', 'py', 'python3'], javascript: ['javascript', 'js', 'node', 'nodejs'] };
const FENCE = /```[ \t]*([\w+#.-]*)[^\n]*\n([\s\S]*?)```/g;

/**
 * The last fenced block tagged with the language (```python, ```py …); where no block is tagged with it, the
 * last untagged block. An unclosed fence (a truncated completion) is not a block. null when there is none.
 */
export function extractCode(completion: string, language: Language): string | null {
  let tagged: string | null = null;
  let untagged: string | null = null;
  for (const m of completion.matchAll(FENCE)) {
    const tag = m[1].toLowerCase();
    if (LANGUAGE_TAGS[language].includes(tag)) tagged = m[2];
    else if (tag === '') untagged = m[2];
  }
  return tagged ?? untagged;
}

export interface HumanEvalProblem {
  task_id: string;
  prompt: string;
  canonical_solution: string;
  test: string;
  entry_point: string;
}

export interface MbppProblem {
  task_id: number;
  text: string;
  code: string;
  test_setup_code: string;
  test_list: string[];
}

/** A completion's code: its last python block, or, without any fence, the completion itself (a continuation). */
function codeOf(completion: string): string {
  return extractCode(completion, 'python') ?? (completion.includes('```') ? '' : completion);
}

/**
 * prompt + completion + test + check(entry_point), as in openai/human-eval. A completion that defines the
 * entry point itself still gets the prompt first, for its imports and helpers (the later def wins).
 */
export function humanEvalProgram(p: HumanEvalProblem, completion: string, raw = false): string {
  const code = raw ? completion : codeOf(completion);
  const definesEntry = new RegExp(`^(async\\s+)?def\\s+${p.entry_point}\\s*\\(`, 'm').test(code);
  return `${p.prompt}${definesEntry ? '\n' : ''}${code}\n\n${p.test}\n\ncheck(${p.entry_point})\n`;
}

/** The completion's code, then test_setup_code, then the test_list assertions (google-research MBPP). */
export function mbppProgram(p: MbppProblem, completion: string, raw = false): string {
  const code = raw ? completion : codeOf(completion);
  return `${code}\n\n${p.test_setup_code ?? ''}\n${p.test_list.join('\n')}\n`;
}

export function readJsonlFile<T>(path: string): T[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

/** ../shared/benchmarks from the repository root, or $REPRISE_BENCHMARKS. */
export function benchmarksDir(root = process.cwd()): string {
  return process.env.REPRISE_BENCHMARKS ?? resolve(root, '../shared/benchmarks');
}

export const loadHumanEval = (dir = benchmarksDir()) => readJsonlFile<HumanEvalProblem>(resolve(dir, 'humaneval/HumanEval.jsonl'));
export const loadMbpp = (dir = benchmarksDir()) => readJsonlFile<MbppProblem>(resolve(dir, 'mbpp/mbpp.jsonl'));

export interface CodeScore {
  task_id: string | number;
  passed: boolean;
  status: RunResult['status'];
  wallMs: number;
}

const score = (ids: (string | number)[], rs: RunResult[]): CodeScore[] => rs.map((r, i) => ({ task_id: ids[i], passed: r.status === 'passed', status: r.status, wallMs: r.wallMs }));

/** Scores one completion per HumanEval problem (same order); `raw` skips code extraction (canonical bodies). */
export async function scoreHumanEval(problems: HumanEvalProblem[], completions: string[], opts: SandboxOptions & { raw?: boolean } = {}): Promise<CodeScore[]> {
  const rs = await runMany(problems.map((p, i) => ({ language: 'python' as const, code: humanEvalProgram(p, completions[i], opts.raw) })), opts);
  return score(problems.map((p) => p.task_id), rs);
}

export async function scoreMbpp(problems: MbppProblem[], completions: string[], opts: SandboxOptions & { raw?: boolean } = {}): Promise<CodeScore[]> {
  const rs = await runMany(problems.map((p, i) => ({ language: 'python' as const, code: mbppProgram(p, completions[i], opts.raw) })), opts);
  return score(problems.map((p) => p.task_id), rs);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time of one bare interpreter start, outside the sandbox, for comparison (ms, median of n). */
function bareStartMs(cmd: string, args: string[], n: number): number {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    spawnSync(cmd, args, { stdio: 'ignore' });
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/**
 * Wall time to score all 164 HumanEval canonical solutions (in parallel, as the eval runs them), and the
 * start-up cost of one empty program through the sandbox (sequential, median) beside a bare interpreter start.
 */
export async function benchCode(): Promise<Record<string, number | string>> {
  const iso = isolation();
  const n = 15;
  const startup = async (language: Language) => {
    const ts: number[] = [];
    for (let i = 0; i < n; i++) ts.push((await runProgram({ language, code: '' })).wallMs);
    return median(ts);
  };
  const out: Record<string, number | string> = {
    sandbox_mode: iso.mode,
    concurrency: defaultConcurrency(),
    startup_ms_python: await startup('python'),
    startup_ms_javascript: await startup('javascript'),
    bare_start_ms_python: iso.python ? Math.round(bareStartMs(iso.python, ['-I', '-c', 'pass'], n)) : 'n/a',
    bare_start_ms_javascript: Math.round(bareStartMs(process.execPath, ['-e', '0'], n)),
  };
  const file = resolve(benchmarksDir(), 'humaneval/HumanEval.jsonl');
  if (!existsSync(file)) return { ...out, humaneval: `skipped: ${file} not found` };
  const problems = loadHumanEval();
  const t0 = performance.now();
  const scores = await scoreHumanEval(problems, problems.map((p) => p.canonical_solution), { raw: true });
  const wall = (performance.now() - t0) / 1000;
  return {
    ...out,
    humaneval_canonical_wall_s: Number(wall.toFixed(2)),
    humaneval_canonical_passed: scores.filter((s) => s.passed).length,
    humaneval_problems: problems.length,
    humaneval_programs_per_s: Number((problems.length / wall).toFixed(1)),
    humaneval_slowest_ms: Math.max(...scores.map((s) => s.wallMs)),
  };
}
