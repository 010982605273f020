import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeCommand } from '../../src/cli/grade.js';
import { benchVerify } from '../../src/verify/bench.js';

describe('reprise grade', () => {
  it('writes each input line back with pred, rule and correct, skips malformed lines, and sums up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-grade-'));
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(
      input,
      [
        JSON.stringify({ id: 1, gold: '\\frac{1}{2}', completion: 'so $\\boxed{0.5}$' }),
        '{not json',
        JSON.stringify({ id: 2, gold: '1,234', completion: 'blah\n#### 1234', benchmark: 'gsm8k' }),
        JSON.stringify({ id: 3, gold: '', completion: '\\boxed{3}' }),
        JSON.stringify({ id: 4, completion: 'no gold' }),
        JSON.stringify({ id: 5, gold: '7', completion: 'The answer is 8.' }),
      ].join('\n') + '\n',
    );
    process.env.REPRISE_QUIET = '1';
    const s = await gradeCommand({ input, output });
    delete process.env.REPRISE_QUIET;
    const rows = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.id, r.pred, r.rule, r.correct])).toEqual([
      [1, '0.5', 'boxed', true],
      [2, '1234', 'gsm8k_hashes', true],
      [3, '3', 'boxed', null],
      [5, '8', 'the_answer_is', false],
    ]);
    expect(s).toMatchObject({ graded: 4, correct: 2, incorrect: 1, unjudged: 1, malformed: 2, timeouts: 0, unparsed: 0 });
  });
});

describe('reprise grade on a prediction padded past 2,000 characters', () => {
  it('judges it incorrect, flags the line as unparsed and counts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-grade-'));
    const [input, output] = [join(dir, 'in.jsonl'), join(dir, 'out.jsonl')];
    writeFileSync(input, JSON.stringify({ gold: '5', completion: `\\boxed{-5${'{}'.repeat(1100)}}` }) + '\n');
    process.env.REPRISE_QUIET = '1';
    const s = await gradeCommand({ input, output });
    delete process.env.REPRISE_QUIET;
    expect(JSON.parse(readFileSync(output, 'utf8'))).toMatchObject({ correct: false, unparsed: 'too_long' });
    expect(s).toMatchObject({ graded: 1, incorrect: 1, unparsed: 1 });
  });
});

describe('benchVerify', () => {
  it('reports verifications per second and the slowest check with its problem', async () => {
    const r = await benchVerify('/nonexistent/test.jsonl');
    expect(r.source).toBe('built-in list');
    expect(r.verifications).toBe(20);
    expect(Number(r.verifications_per_s)).toBeGreaterThan(0);
    expect(String(r.slowest_id)).toMatch(/^builtin\//);
  });
});
