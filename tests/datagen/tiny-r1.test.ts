import { describe, expect, it } from 'vitest';
import { generateSplits, teacherTrace } from '../../datagen/tiny-r1/generator.js';
import { tinyR1Addition } from '../../datagen/tiny-r1/index.js';
import { canonicalJson, sha256 } from '../../src/util/hash.js';

const splits = { sft: { count: 300, digit_weights: [2, 3, 3, 2] }, rl: { count: 200, digit_weights: [1, 2, 3, 3] }, test: { count: 100, digit_weights: [0, 1, 2, 3] } };

describe('tiny-r1 datagen', () => {
  it('gives byte-identical splits for the same seed', () => {
    const a = canonicalJson(tinyR1Addition.generate(7, splits));
    const b = canonicalJson(tinyR1Addition.generate(7, splits));
    expect(sha256(a)).toBe(sha256(b));
  });

  it('gives different splits for a different seed', () => {
    expect(sha256(canonicalJson(tinyR1Addition.generate(7, splits)))).not.toBe(sha256(canonicalJson(tinyR1Addition.generate(8, splits))));
  });

  it('never puts one question in two splits', () => {
    const s = generateSplits(3, Object.entries(splits).map(([name, v]) => ({ name, ...v })));
    const all = Object.values(s).flat().map((p) => p.question);
    expect(new Set(all).size).toBe(all.length);
    expect(s.sft.length + s.rl.length + s.test.length).toBe(600);
  });

  it('makes test items harder on average than SFT items', () => {
    const s = tinyR1Addition.generate(3, splits);
    const mean = (rows: typeof s.sft) => rows.reduce((a, r) => a + Number(r.meta.digits), 0) / rows.length;
    expect(mean(s.test)).toBeGreaterThan(mean(s.sft) + 0.3);
  });

  it('writes a teacher trace whose answer is the sum, column by column with carries', () => {
    expect(teacherTrace(347, 589)).toBe('<think>7+9+0=16;4+8+1=13;3+5+1=09;0+0+0=00;</think><answer>936</answer>');
    expect(teacherTrace(9999, 1)).toBe('<think>9+1+0=10;9+0+1=10;9+0+1=10;9+0+1=10;0+0+1=01;</think><answer>10000</answer>');
    for (const r of tinyR1Addition.generate(1, { sft: splits.sft }).sft) {
      const [a, b] = r.messages[0].content.split('+').map(Number);
      expect(r.messages[1].content.endsWith(`<answer>${a + b}</answer>`)).toBe(true);
      expect(r.answer).toBe(String(a + b));
    }
  });

  it('rejects a split it cannot fill with distinct problems', () => {
    expect(() => generateSplits(1, [{ name: 'x', count: 500, digit_weights: [1] }])).toThrow(/cannot draw 500 distinct problems/);
  });
});
