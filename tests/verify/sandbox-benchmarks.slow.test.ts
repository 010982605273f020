import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadHumanEval, loadMbpp, scoreHumanEval, scoreMbpp, type MbppProblem } from '../../src/verify/code-bench.js';

// Every reference solution of HumanEval (164) and MBPP (974) passes in the sandbox, and the same problems with
// a wrong body all fail. Runs ~2,300 programs in parallel (one per core): about a minute or two on 2 cores.
const dir = resolve(__dirname, '../../../shared/benchmarks');
const have = existsSync(resolve(dir, 'humaneval/HumanEval.jsonl')) && existsSync(resolve(dir, 'mbpp/mbpp.jsonl'));
if (!have) console.warn(`[sandbox-benchmarks] skipped: ${dir} not found (the benchmark data lives beside the repository)`);

// `pass` and `return None` are the same function to Python; half the problems get each spelling.
const wrongBody = (i: number) => (i % 2 ? '    return None\n' : '    pass\n');

/** The reference code with every top-level function redefined after it to a wrong body. */
function mbppWrong(p: MbppProblem, i: number): string {
  const names = [...p.code.matchAll(/^def\s+(\w+)\s*\(/gm)].map((m) => m[1]);
  return `${p.code}\n\n${names.map((n) => `def ${n}(*args, **kwargs):\n${wrongBody(i)}`).join('\n')}`;
}

describe.skipIf(!have)('code benchmarks in the sandbox', () => {
  it('passes all 164 HumanEval canonical solutions and fails all 164 with a wrong body', async () => {
    const problems = loadHumanEval(dir);
    expect(problems).toHaveLength(164);
    const good = await scoreHumanEval(problems, problems.map((p) => p.canonical_solution), { raw: true });
    expect(good.filter((s) => !s.passed)).toEqual([]);
    const bad = await scoreHumanEval(problems, problems.map((_, i) => wrongBody(i)), { raw: true });
    expect(bad.filter((s) => s.passed).map((s) => s.task_id)).toEqual([]);
  }, 300_000);

  it('passes all 974 MBPP reference solutions and fails all 974 with wrong bodies', async () => {
    const problems = loadMbpp(dir);
    expect(problems).toHaveLength(974);
    const good = await scoreMbpp(problems, problems.map((p) => p.code), { raw: true });
    expect(good.filter((s) => !s.passed)).toEqual([]);
    const bad = await scoreMbpp(problems, problems.map(mbppWrong), { raw: true });
    expect(bad.filter((s) => s.passed).map((s) => s.task_id)).toEqual([]);
  }, 600_000);
});
