import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_SET, devAgreement, readDevSet } from '../../src/verify/bench.js';

const items = readDevSet(resolve(__dirname, '../..', DEV_SET));

describe('the verifier development set', () => {
  it('has at least five items in every class, and both verdicts among the error classes', () => {
    const by: Record<string, number> = {};
    for (const i of items) by[i.class] = (by[i.class] ?? 0) + 1;
    for (const [cls, n] of Object.entries(by)) expect(n, cls).toBeGreaterThanOrEqual(5);
    expect(Object.keys(by)).toHaveLength(16);
    expect(items.filter((i) => !i.correct).length).toBeGreaterThanOrEqual(80);
  });

  it('agrees with every label (a disagreement here is a regression, or a label to re-examine)', () => {
    const a = devAgreement(items);
    expect(a.disagree).toEqual([]);
    expect(a.agree).toBe(items.length);
  });

  it('refuses a malformed item, naming the file, line and field', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'reprise-dev-')), 'dev.jsonl');
    writeFileSync(f, `${JSON.stringify(items[0])}\n${JSON.stringify({ ...items[0], correct: 'yes' })}\n`);
    expect(() => readDevSet(f)).toThrow(/dev\.jsonl, line 2, field "correct"/);
  });
});
