// Seeded fuzz over random LaTeX expressions, tuples, intervals, long numbers and words: two answers whose values
// clearly differ are never judged equal by any path (string, numeric, symbolic, text, refusal of long input),
// and equivalent spellings of one expression are judged equal.

import { describe, expect, it } from 'vitest';
import { judge } from '../../src/verify/equal.js';
import { Rng } from '../../src/util/rng.js';
import { gen, mutate, pad, render, truth } from '../fixtures/verify/latex-gen.js';

const N = 300;

describe('fuzz: non-equivalent answers are never judged equal', () => {
  it('expressions with and without a variable, a sign, digit or operator changed, the prediction padded or not', () => {
    const rng = new Rng('verify-fuzz/expr');
    const wrong: string[] = [];
    let checked = 0;
    for (let i = 0; i < N; i++) {
      const a = gen(rng, 3, i % 2 === 0);
      const b = mutate(a, rng);
      if (truth(a, b) !== 'different') continue;
      const [ga, pb] = [render(a, rng), render(b, rng)];
      for (const pred of [pb, pad(pb, rng)]) {
        checked++;
        if (judge(ga, pred).verdict === 'equal') wrong.push(`${ga} | ${pred.slice(0, 80)}`);
      }
    }
    expect(checked).toBeGreaterThan(N);
    expect(wrong).toEqual([]);
  });

  it('tuples, intervals and sets that differ in one member or in an end', () => {
    const rng = new Rng('verify-fuzz/shapes');
    const wrong: string[] = [];
    for (let i = 0; i < N / 2; i++) {
      const [a, c] = [gen(rng, 2, false), gen(rng, 2, false)];
      const b = mutate(a, rng);
      if (truth(a, b) !== 'different') continue;
      const [ra, rb, rc] = [render(a, rng), render(b, rng), render(c, rng)];
      const pairs: [string, string][] = [
        [`(${ra}, ${rc})`, `(${rb}, ${rc})`],
        [`[${ra}, ${rc})`, `(${ra}, ${rc})`],
        [`[${ra}, ${rc}]`, `[${ra}, ${rc})`],
        [`\\{${ra}, ${rc}\\}`, `\\{${rc}, ${rb}\\}`],
        [`(${ra}, ${rc})`, `${ra}${rc}`],
      ];
      for (const [g, p] of pairs) if (judge(g, p).verdict === 'equal') wrong.push(`${g} | ${p}`);
    }
    expect(wrong).toEqual([]);
  });

  it('integers of up to 600 digits that differ in one digit or hold a space that is no thousands separator, and decimals that differ in one of their first 8 digits', () => {
    const rng = new Rng('verify-fuzz/numbers');
    const wrong: string[] = [];
    for (let i = 0; i < N; i++) {
      const len = rng.int(1, 600);
      const digits = [String(rng.int(1, 9)), ...Array.from({ length: len - 1 }, () => String(rng.int(0, 9)))];
      const at = i % 2 ? rng.int(0, len - 1) : rng.int(0, Math.min(7, len - 1));
      const other = [...digits];
      other[at] = String((Number(digits[at]) + rng.int(1, 8)) % 10 || 1);
      if (other[at] === digits[at]) continue;
      let [g, p] = [digits.join(''), other.join('')];
      if (i % 2 === 0 && len > 1) [g, p] = [`${g[0]}.${g.slice(1)}`, `${p[0]}.${p.slice(1)}`];
      const cut = rng.int(1, Math.max(1, g.length - 1));
      const spaced = (g.length - cut) % 3 === 0 || g.includes('.') ? p : `${g.slice(0, cut)} ${g.slice(cut)}`;
      for (const pred of [p, `$${p}$`, `\\boxed{${p}}`, `-${g}`, spaced]) if (judge(g, pred).verdict === 'equal') wrong.push(`${g.slice(0, 30)}… | ${pred.slice(0, 30)}…`);
    }
    expect(wrong).toEqual([]);
  });

  it('word answers and choice letters that differ in one letter, or a letter against a variable', () => {
    const rng = new Rng('verify-fuzz/words');
    const wrong: string[] = [];
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    for (let i = 0; i < N; i++) {
      const w = Array.from({ length: rng.int(3, 9) }, () => letters[rng.int(0, 25)]).join('');
      const at = rng.int(0, w.length - 1);
      const v = w.slice(0, at) + letters[(letters.indexOf(w[at]) + rng.int(1, 25)) % 26] + w.slice(at + 1);
      if (judge(`\\text{${w}}`, `\\text{${v}}`).verdict === 'equal') wrong.push(`${w} | ${v}`);
      if (judge(`\\text{${w}}`, `\\text{-${w}}`).verdict === 'equal') wrong.push(`${w} | -${w}`);
      const L = 'ABCDE'[i % 5];
      if (judge(`\\text{(${L})}`, ['y = ', 'x=', ''][i % 3] + L.toLowerCase()).verdict === 'equal') wrong.push(`(${L}) | ${L.toLowerCase()}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('fuzz: equivalent spellings are judged equal', () => {
  it('one expression rendered twice, with different fractions, products, brackets and spacing', () => {
    const rng = new Rng('verify-fuzz/same');
    const missed: string[] = [];
    let checked = 0;
    for (let i = 0; i < N; i++) {
      const a = gen(rng, 3, i % 2 === 0);
      if (truth(a, a) !== 'same') continue;
      const [g, p] = [render(a, rng), render(a, rng)];
      checked++;
      if (judge(g, p).verdict !== 'equal') missed.push(`${g} | ${p}`);
    }
    expect(checked).toBeGreaterThan(N / 2);
    expect(missed).toEqual([]);
  });
});
