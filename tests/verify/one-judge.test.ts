// The GRPO accuracy reward, `reprise grade`, the eval scorer and distillation's filter give gradeMath's verdict
// on every math item of the development set: one judge, not four.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeVerifier } from '../../datagen/distill/verify.js';
import { gradeCommand } from '../../src/cli/grade.js';
import type { EvalSpec } from '../../src/config/eval-spec.js';
import { makeScorer } from '../../src/eval/aggregate.js';
import { getReward } from '../../src/rewards/index.js';
import { DEV_SET, readDevSet } from '../../src/verify/bench.js';
import { gradeMath } from '../../src/verify/grade-math.js';

const items = readDevSet(resolve(__dirname, '../..', DEV_SET)).filter((i) => i.preset === 'math' && i.finished);

describe('one judge', () => {
  it('the four callers agree with gradeMath on every finished math item of the dev set', async () => {
    const expected = items.map((i) => gradeMath(i.gold, i.completion, { preset: 'math' }).correct);
    const reward = getReward('accuracy', { preset: 'math', strict: false });
    expect(items.map((i) => reward({ completion: i.completion, gold: i.gold }) === 1)).toEqual(expected);

    const scorer = makeScorer({ scoring: { scorer: 'math', preset: 'math', primary: 'lenient', timeout_ms: 2000 } } as EvalSpec);
    expect(await Promise.all(items.map(async (i) => (await scorer(i.gold, {}, i.completion)).correct))).toEqual(expected);

    const filter = makeVerifier('math');
    expect(items.map((i) => filter(i.gold, i.completion))).toEqual(expected);

    const dir = mkdtempSync(join(tmpdir(), 'reprise-one-judge-'));
    writeFileSync(join(dir, 'in.jsonl'), items.map((i) => JSON.stringify({ id: i.id, gold: i.gold, completion: i.completion, benchmark: 'math500' })).join('\n') + '\n');
    process.env.REPRISE_QUIET = '1';
    await gradeCommand({ input: join(dir, 'in.jsonl'), output: join(dir, 'out.jsonl') });
    delete process.env.REPRISE_QUIET;
    const graded = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).correct);
    expect(graded).toEqual(expected);
    expect(expected.filter((c) => c === false).length).toBeGreaterThan(50);
  });

  it('reprise grade reads a line cut off by the length limit ("finished": false) strictly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-one-judge-'));
    const c = 'So far $6 \\cdot 7 = 42$, so maybe 42, but let me check the case where';
    writeFileSync(join(dir, 'in.jsonl'), [{ gold: '42', completion: c }, { gold: '42', completion: c, finished: false }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    process.env.REPRISE_QUIET = '1';
    await gradeCommand({ input: join(dir, 'in.jsonl'), output: join(dir, 'out.jsonl') });
    delete process.env.REPRISE_QUIET;
    const rows = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.pred, r.correct])).toEqual([['42', true], [null, false]]);
  });

  it('the eval scorer reads a completion that stopped at the length limit strictly', async () => {
    const scorer = makeScorer({ scoring: { scorer: 'math', preset: 'math', primary: 'lenient', timeout_ms: 2000 } } as EvalSpec);
    const c = 'So far $6 \\cdot 7 = 42$, so maybe 42, but let me check the case where';
    expect((await scorer('42', {}, c, true)).correct).toBe(true);
    expect((await scorer('42', {}, c, false)).correct).toBe(false);
  });
});
