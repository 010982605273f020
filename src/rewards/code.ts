// Code rewards. code_format is a pure check (sync). code and binary_code run programs in the sandbox, so they
// are async (scoreCodeGroup); their sync registry entries return null with the reason NEEDS_ASYNC.
//
// Gold (a JSON string), one of:
//   {"language"?: "python"|"javascript", "test_list": ["assert f(1) == 2", …], "test_setup_code"?: "…"}
//        — MBPP style: each entry is one test case, run after the code (and the setup)
//   {"language"?, "tests": "…"}                  — one block of test code run after the code: a single test case
//   {"language"?, "test_cases": [{"input": "…", "output": "…"}]} — stdin → expected stdout (outputsMatch)
// language defaults to the reward's `language` parameter (python).

import { z } from 'zod';
import { LANGUAGE_TAGS, extractCode } from '../verify/code-bench.js';
import { isR1Format } from '../verify/format.js';
import { isLanguage, runMany, type Language, type RunRequest } from '../verify/sandbox/index.js';
import { settle, type Scored } from './nulls.js';

export const NEEDS_ASYNC: Scored = { skip: 'needs scoreCodeGroup (async): code rewards run programs in the sandbox' };
/** Kept for the registry's current import; same reason as NEEDS_ASYNC. */
export const NO_SANDBOX: Scored = NEEDS_ASYNC;

export const CodeFormatParams = z
  .object({
    language: z.string().default('python'),
    /** R1 structure: <think>…</think><answer>…</answer> with the code block inside the answer. */
    think: z.boolean().default(true),
  })
  .strict();

export const CodeRunParams = z
  .object({
    language: z.string().default('python'),
    timeout_s: z.number().positive().max(60).default(10),
  })
  .strict();

const ANSWER = /<answer>([\s\S]*)<\/answer>/;

/** 1 if there is a closed fenced block of the language (in the answer, when think is on) and, for R1, the format holds. */
export function codeFormat(completion: string, p: z.input<typeof CodeFormatParams> = {}): number {
  const { language, think } = CodeFormatParams.parse(p);
  if (!isLanguage(language)) return 0;
  const where = think ? (isR1Format(completion) ? ANSWER.exec(completion)?.[1] : undefined) : completion;
  if (where === undefined) return 0;
  const tags = [...where.matchAll(/```[ \t]*([\w+#.-]*)[^\n]*\n[\s\S]*?```/g)].map((m) => m[1].toLowerCase());
  return tags.some((t) => LANGUAGE_TAGS[language].includes(t)) ? 1 : 0;
}

/**
 * Program output against expected output, line by line over all lines: a missing or extra line fails (open-r1
 * zipped the two lists, so a truncated output passed). Trailing whitespace and trailing blank lines are ignored.
 */
export function outputsMatch(expected: string, actual: string): boolean {
  const lines = (s: string) => s.replace(/\r\n/g, '\n').split('\n').map((l) => l.trimEnd()).join('\n').replace(/\n+$/, '').split('\n');
  const e = lines(expected);
  const a = lines(actual);
  return e.length === a.length && e.every((l, i) => l === a[i]);
}

const Gold = z.union([
  z.object({ language: z.string().optional(), test_list: z.array(z.string()).min(1), test_setup_code: z.string().optional() }),
  z.object({ language: z.string().optional(), tests: z.string().min(1) }),
  z.object({ language: z.string().optional(), test_cases: z.array(z.object({ input: z.string(), output: z.string() })).min(1) }),
]);
type Gold = z.infer<typeof Gold>;

function parseGold(gold: string): Gold | { skip: string } {
  try {
    const r = Gold.safeParse(JSON.parse(gold));
    return r.success ? r.data : { skip: 'gold is not a code test spec (test_list, tests or test_cases)' };
  } catch {
    return { skip: 'gold is not JSON' };
  }
}

/** Fraction of test cases passed (code) or 1/0 for all of them (binary_code), for each completion of a group. */
export async function scoreCodeGroup(
  name: 'code' | 'binary_code',
  group: { completion: string; gold: string }[],
  params: z.input<typeof CodeRunParams> = {},
): Promise<(number | null)[]> {
  const p = CodeRunParams.parse(params);
  const scored = await Promise.all(group.map((x) => scoreOne(name, x.completion, x.gold, p)));
  return scored.map((s) => settle(name, s));
}

async function scoreOne(name: 'code' | 'binary_code', completion: string, goldText: string, p: z.infer<typeof CodeRunParams>): Promise<Scored> {
  const gold = parseGold(goldText);
  if ('skip' in gold) return gold;
  const language = gold.language ?? p.language;
  if (!isLanguage(language)) return { skip: `unsupported language "${language}"` };
  const code = extractCode(completion, language);
  if (code === null) return 0;
  const run = (req: Omit<RunRequest, 'language' | 'timeoutS'>) => ({ language: language as Language, timeoutS: p.timeout_s, ...req });

  if ('test_cases' in gold) {
    const rs = await runMany(gold.test_cases.map((t) => run({ code, stdin: t.input })));
    const ok = rs.map((r, i) => r.status === 'passed' && outputsMatch(gold.test_cases[i].output, r.stdout));
    return fraction(name, ok);
  }
  const cases = 'tests' in gold ? [gold.tests] : gold.test_list;
  const setup = 'test_setup_code' in gold ? (gold.test_setup_code ?? '') : '';
  const program = (tests: string[]) => `${code}\n\n${setup}\n${tests.join('\n')}\n`;
  // All cases in one run first: most completions pass all or die at once (a syntax error, a loop).
  const [all] = await runMany([run({ code: program(cases) })]);
  if (all.status === 'passed') return 1;
  if (name === 'binary_code' || cases.length === 1 || all.status === 'timeout' || all.status === 'memory') return 0;
  const each = await runMany(cases.map((c) => run({ code: program([c]) })));
  return fraction(name, each.map((r) => r.status === 'passed'));
}

function fraction(name: string, ok: boolean[]): number {
  const k = ok.filter(Boolean).length;
  return name === 'binary_code' ? (k === ok.length ? 1 : 0) : k / ok.length;
}
