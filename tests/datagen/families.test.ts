import { describe, expect, it } from 'vitest';
import { countdown } from '../../datagen/countdown/index.js';
import { solve, teacherTrace as countdownTrace } from '../../datagen/countdown/generator.js';
import { countdownCorrect, countdownScore, evaluate, parseCountdownGold } from '../../datagen/countdown/expr.js';
import { multiplication } from '../../datagen/multiplication/index.js';
import { teacherTrace as mulTrace } from '../../datagen/multiplication/generator.js';
import { FAMILIES } from '../../datagen/index.js';
import { canonicalJson, sha256 } from '../../src/util/hash.js';

const cdSplits = { train: { count: 300, digit_weights: [1, 3] }, test: { count: 100, digit_weights: [1, 3] } };
const mulSplits = { train: { count: 300, digit_weights: [1, 2, 2, 1] }, test: { count: 100, digit_weights: [0, 1, 2, 3] } };

describe('countdown family', () => {
  it('gives identical rows for the same seed and different rows for another', () => {
    const a = sha256(canonicalJson(countdown.generate(5, cdSplits)));
    expect(sha256(canonicalJson(countdown.generate(5, cdSplits)))).toBe(a);
    expect(sha256(canonicalJson(countdown.generate(6, cdSplits)))).not.toBe(a);
  });

  it('writes traces whose answer uses each number once and reaches the target, by TinyZero\'s reward', () => {
    const s = countdown.generate(1, cdSplits);
    for (const r of [...s.train, ...s.test]) {
      const g = parseCountdownGold(r.answer)!;
      expect(g.nums.length === 3 || g.nums.length === 4).toBe(true);
      expect(g.target).toBeGreaterThanOrEqual(1);
      expect(g.target).toBeLessThanOrEqual(100);
      expect(countdownScore(r.messages[1].content, g.nums, g.target)).toBe(1);
    }
    expect(new Set([...s.train, ...s.test].map((r) => r.answer)).size).toBe(400);
  });

  it('scores like TinyZero: 1 correct, 0.1 well-formed but wrong or reusing a number, 0 without an answer', () => {
    expect(countdownScore('<answer>(44+19)+35</answer>', [44, 19, 35], 98)).toBe(1);
    expect(countdownScore('<answer>44+19+35+35</answer>', [44, 19, 35], 133)).toBe(0.1);
    expect(countdownScore('<answer>44+19</answer>', [44, 19, 35], 63)).toBe(0.1);
    expect(countdownScore('44+19+35', [44, 19, 35], 98)).toBe(0);
    expect(countdownCorrect('(8/3)*(12-3)', [8, 3, 12, 3], 24)).toBe(true);
  });

  it('evaluates arithmetic without eval and refuses anything else', () => {
    expect(evaluate('2*(3+4)-10/4')).toBe(11.5);
    expect(evaluate('1/0')).toBeNull();
    expect(evaluate('process.exit()')).toBeNull();
    expect(evaluate('(1+2')).toBeNull();
  });

  it('solves by depth-first search and writes the steps', () => {
    expect(countdownTrace([44, 19, 35], 98)).toBe('<think>44+19=63;35+63=98;</think><answer>35+(44+19)</answer>');
    expect(solve([1, 1, 1], 50)).toBeNull();
  });

  it('registers the three families by name, tiny-r1 without parameters', () => {
    expect(Object.keys(FAMILIES)).toEqual(['tiny_r1_addition', 'countdown', 'multiplication']);
    expect(FAMILIES.tiny_r1_addition.params).toBeUndefined();
  });
});

describe('multiplication family', () => {
  it('gives identical rows for the same seed', () => {
    expect(sha256(canonicalJson(multiplication.generate(5, mulSplits)))).toBe(sha256(canonicalJson(multiplication.generate(5, mulSplits))));
  });

  it('writes a long-multiplication trace whose answer is the product', () => {
    expect(mulTrace(347, 89)).toBe('<think>347*9=3123;347*80=27760;3123+27760=30883;</think><answer>30883</answer>');
    expect(mulTrace(12, 0)).toBe('<think>12*0=0;</think><answer>0</answer>');
    expect(mulTrace(25, 301)).toBe('<think>25*1=25;25*300=7500;25+7500=7525;</think><answer>7525</answer>');
    for (const r of multiplication.generate(2, mulSplits).test) {
      const [a, b] = r.messages[0].content.split('*').map(Number);
      expect(r.answer).toBe(String(a * b));
      expect(r.messages[1].content.endsWith(`<answer>${a * b}</answer>`)).toBe(true);
      for (const step of /<think>(.*)<\/think>/.exec(r.messages[1].content)![1].split(';').filter(Boolean)) {
        const [lhs, rhs] = step.split('=');
        expect(evaluate(lhs)).toBe(Number(rhs));
      }
    }
  });
});
