import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractCode, humanEvalProgram, mbppProgram, type HumanEvalProblem } from '../../src/verify/code-bench.js';
import { codeFormat, scoreCodeGroup } from '../../src/rewards/code.js';
import { execCommand } from '../../src/cli/exec.js';

const fence = (lang: string, code: string) => '```' + lang + '\n' + code + '\n```';

describe('extractCode', () => {
  it('takes the last block tagged with the language', () => {
    expect(extractCode(`${fence('python', 'a = 1')}\ntext\n${fence('js', 'x')}\n${fence('py', 'b = 2')}`, 'python')).toBe('b = 2\n');
  });
  it('falls back to the last untagged block only when no block is tagged', () => {
    expect(extractCode(`${fence('', 'u = 1')}\n${fence('python', 'p = 1')}`, 'python')).toBe('p = 1\n');
    expect(extractCode(fence('', 'u = 1'), 'javascript')).toBe('u = 1\n');
  });
  it('ignores an unclosed fence and returns null without any block', () => {
    expect(extractCode('```python\nx = 1', 'python')).toBeNull();
    expect(extractCode('no code here', 'python')).toBeNull();
  });
});

describe('assembling benchmark programs', () => {
  const p: HumanEvalProblem = { task_id: 'T/0', prompt: 'import math\ndef f(x):\n    """doc"""\n', canonical_solution: '    return x\n', test: 'def check(c):\n    assert c(2) == 2\n', entry_point: 'f' };
  it('puts a body after the prompt and a whole function after the prompt and a newline, then check(entry_point)', () => {
    expect(humanEvalProgram(p, '    return x\n', true)).toBe(`${p.prompt}    return x\n\n\n${p.test}\n\ncheck(f)\n`);
    expect(humanEvalProgram(p, fence('python', 'def f(x):\n    return math.floor(x)'))).toContain(`${p.prompt}\ndef f(x):`);
  });
  it('runs MBPP setup code and then the assertions after the code', () => {
    expect(mbppProgram({ task_id: 1, text: '', code: '', test_setup_code: 'import os', test_list: ['assert g() == 1', 'assert g() != 2'] }, fence('python', 'def g(): return 1'))).toBe(
      'def g(): return 1\n\n\nimport os\nassert g() == 1\nassert g() != 2\n',
    );
  });
});

describe('code_format', () => {
  const r1 = (answer: string) => `<think>\nreasoning\n</think>\n<answer>\n${answer}\n</answer>`;
  it('is 1 for the R1 structure with a block of the language in the answer', () => {
    expect(codeFormat(r1(fence('python', 'print(1)')))).toBe(1);
    expect(codeFormat(r1(fence('js', 'f()')), { language: 'javascript' })).toBe(1);
  });
  it('is 0 without the structure, without a tagged block, or with another language', () => {
    expect(codeFormat(fence('python', 'print(1)'))).toBe(0);
    expect(codeFormat(r1(fence('', 'print(1)')))).toBe(0);
    expect(codeFormat(r1(fence('js', 'f()')))).toBe(0);
  });
  it('checks only the block when think is off', () => {
    expect(codeFormat(fence('python', 'print(1)'), { think: false })).toBe(1);
  });
});

describe('scoreCodeGroup', () => {
  const gold = JSON.stringify({ test_list: ['assert add(1, 2) == 3', 'assert add(0, 0) == 0', 'assert add(-1, 2) == 1'] });
  const right = fence('python', 'def add(a, b):\n    return a + b');
  const twoOfThree = fence('python', 'def add(a, b):\n    return a + b if a >= 0 else 99');
  it('scores the fraction of MBPP-style test cases passed (code) and all-or-nothing (binary_code)', async () => {
    const group = [right, twoOfThree, 'no code at all'].map((completion) => ({ completion, gold }));
    expect(await scoreCodeGroup('code', group)).toEqual([1, 2 / 3, 0]);
    expect(await scoreCodeGroup('binary_code', group)).toEqual([1, 0, 0]);
  }, 30_000); // six sandboxed programs, slow on a loaded machine
  it('compares stdout with the expected output for stdin test cases', async () => {
    const g = JSON.stringify({ language: 'javascript', test_cases: [{ input: '2\n', output: '4' }, { input: '3\n', output: '9' }] });
    const sq = fence('js', 'const n = Number(require("fs").readFileSync(0, "utf8")); console.log(n === 3 ? 0 : n * n)');
    expect(await scoreCodeGroup('code', [{ completion: sq, gold: g }])).toEqual([0.5]);
  });
  it('returns null for a gold that is not a test spec', async () => {
    expect(await scoreCodeGroup('code', [{ completion: right, gold: '42' }, { completion: right, gold: '{"x": 1}' }])).toEqual([null, null]);
  });
});

describe('reprise exec', () => {
  const out = mkdtempSync(join(tmpdir(), 'exec-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  it('runs each line, skips malformed lines by number, and writes results in input order', async () => {
    const output = join(out, 'out.jsonl');
    const s = await execCommand({ input: resolve(__dirname, '../fixtures/sandbox/exec-input.jsonl'), output });
    expect(s).toMatchObject({ ran: 4, malformed: 2, passed: 2, failed: 1, timeout: 1 });
    const rows = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.status, r.exit_code])).toEqual([['ok', 'passed', 0], ['js', 'passed', 0], [5, 'failed', 1], ['slow', 'timeout', 137]]);
    expect(rows[0].stdout).toBe('42\n');
    expect(Object.keys(rows[0])).toEqual(['id', 'status', 'exit_code', 'stdout', 'stderr', 'wall_ms']);
  });
});
