// Issue 11's error classes, each with its invented example (first) and new cases; and the shortcuts a policy
// could game (padding, overflow, letter against variable), judged on content.

import { describe, expect, it } from 'vitest';
import { judge, verifyStats } from '../../src/verify/equal.js';
import { extractAnswer } from '../../src/verify/extract.js';
import { gradeMath } from '../../src/verify/grade-math.js';

const r = String.raw;
type Row = [gold: string, completion: string, correct: boolean];

const CLASSES: Record<string, Row[]> = {
  'no box: a plain number in the last sentence beats an earlier $…$ span': [
    ['7', r`…check: $3 \cdot 7 = 21$ given away, which matches. Therefore, the number left is 7.`, true],
    ['9', r`Since $x + y = 14$ and $x - y = 4$, we get $x = 9$. So the larger number is 9.`, true],
    ['16', r`Each side is $4$ units long. The area is 16.`, true],
    ['5', r`We have $2 + 3 = 5$. Adding the remaining one, there are 6 in all.`, false],
    [r`\frac{2}{3}`, r`Taking the complement, $1 - \frac{1}{3} = \frac{2}{3}$.`, true],
  ],
  'equation chains: the last right-hand side is the answer': [
    ['84', r`Therefore the area is \(S = 6 \times 14 = 84\).`, true],
    ['36', r`Hence \(m + n = 17 + 19 = 36\).`, true],
    ['720', r`The count is $6! = 6 \cdot 5! = 720$.`, true],
    ['35', r`So $p + q = 20 + 14 = 34$.`, false],
    ['2', r`Hence $\boxed{k = \frac{4}{2} = 2}$.`, true],
  ],
  'currency dollar signs are not math delimiters': [
    ['15', 'The shirt was $20 and the discount was $5, so she paid $15.', true],
    ['27', 'Lunch cost $12 and dinner cost $15, so the day cost $27 in all.', true],
    ['27', 'Lunch cost $12 and dinner cost $15, so the day cost $26 in all.', false],
    ['8', 'With $10 she buys a $2 toy, leaving her $8.', true],
  ],
  'lhs = value where the left side is not a single letter': [
    ['13', r`$\boxed{AB = 13}$`, true],
    [r`\frac{3}{5}`, r`$\boxed{\cos\theta = \frac{3}{5}}$`, true],
    ['24', r`Therefore $\boxed{\angle ABC = 24^\circ}$.`, true],
    ['12', r`So $\boxed{x + y = 12}$.`, true],
    ['12', r`So $\boxed{x + y = 13}$.`, false],
    ['4', r`$\boxed{2 + 2 = 4}$ computes it.`, true],
    ['5', r`$\boxed{7 = 5}$ names nothing.`, false],
    ['10', r`So $\boxed{2x = 10}$, an equation still to solve.`, false],
  ],
  'ordinals and unit words': [
    ['3', r`$\boxed{3^{\text{rd}}\text{ place}}$`, true],
    ['21', r`the $\boxed{21^{\mathrm{st}}}$ of the month`, true],
    ['100', r`It is the $\boxed{100^{\text{th}}}$ term.`, true],
    ['22', r`It is the $\boxed{22\text{nd}}$ day.`, true],
    ['23', r`It is the $\boxed{22\text{nd}}$ day.`, false],
  ],
  'thousands separators are not removed inside brackets': [
    ['[1,250]', r`$\boxed{[1, 250]}$`, true],
    ['(3, 125)', r`$\boxed{(3,125)}$`, true],
    ['3125', r`$\boxed{(3,125)}$`, false],
    ['(7, 500)', r`$\boxed{(7,500)}$`, true],
    ['(7, 500)', r`$\boxed{7500}$`, false],
    ['[2, 999)', r`$\boxed{[2,999)}$`, true],
    ['4,500', r`$\boxed{4500}$`, true],
  ],
  'number words after "the answer is"': [
    ['4', 'Putting it all together, the answer is four.', true],
    ['15', 'So the final answer is fifteen.', true],
    ['36', 'So the answer is thirty-six.', true],
    ['36', 'So the answer is thirty-seven.', false],
    ['200', 'The answer is two hundred.', true],
  ],
  'degenerate output: every box empty or unclosed is no answer': [
    ['10', r`Compute $2 \cdot 5$. \boxed{}. \boxed{}. \boxed{`, false],
    ['12', r`We need $3 \cdot 4$ here. \boxed{\,}`, false],
    ['7', r`The problem asks for 7 marbles. \fbox{`, false],
    ['7', r`\boxed{7} is it. Or maybe \boxed{}`, true],
  ],
};

describe.each(Object.entries(CLASSES))('%s', (_cls, rows) => {
  it.each(rows)('gold %s, completion %j: correct %s', (gold, completion, correct) => {
    expect(gradeMath(gold, completion, { preset: 'math' }).correct).toBe(correct);
  });
});

describe('a completion cut off by the length limit', () => {
  it('is not credited for an answer only stated mid-reasoning', () => {
    const c = r`So far $6 \cdot 7 = 42$, so it might be 42, but let me check the case where`;
    expect(gradeMath('42', c, { preset: 'math', finished: false })).toMatchObject({ pred: null, correct: false });
    expect(gradeMath('42', c, { preset: 'math' }).correct).toBe(true);
  });

  it('is credited for an answer it stated with an explicit marker before it was cut off', () => {
    expect(gradeMath('42', r`Thus \boxed{42}. Let me double-check the case where`, { finished: false }).correct).toBe(true);
    expect(gradeMath('42', 'The answer is 42. Wait, maybe the case where', { finished: false }).correct).toBe(true);
  });
});

describe('shortcuts a policy could game are judged on content', () => {
  const pad = '{}'.repeat(1100);
  it.each([
    ['5', `-5${pad}`],
    ['x+1', `x-1${pad}`],
    ['12', `\\frac{1}{2}${pad}`],
    ['2', `\\sqrt{2}${pad}`],
  ])('a padded prediction over 2,000 characters is refused, never equal: gold %s', (gold, pred) => {
    const before = verifyStats.unparsed;
    expect(judge(gold, pred)).toMatchObject({ verdict: 'unequal', via: 'too_long' });
    expect(verifyStats.unparsed).toBe(before + 1);
  });

  it('judges short padding on content: -5{}{} is not 5, and 7 with 3,000 spaces is 7', () => {
    expect(judge('5', '-5{}{}').verdict).toBe('unequal');
    expect(judge('7', `7${' '.repeat(3000)}`).verdict).toBe('equal');
  });

  it('never lets a number of more than 308 digits become Infinity and equal a gold', () => {
    const nines = '9'.repeat(400);
    expect(judge('1', nines).verdict).toBe('unequal');
    expect(judge(nines, `${'9'.repeat(399)}8`).verdict).toBe('unequal');
    expect(judge(nines, nines).verdict).toBe('equal');
    expect(judge('10^{400}', `1${'0'.repeat(400)}`).verdict).toBe('equal');
    expect(judge('10^{400}', `1${'0'.repeat(399)}1`).verdict).toBe('unequal');
    expect(judge('2^{2000}', '2^{2000} + 1').verdict).toBe('unequal');
    expect(judge('\\infty', `1${'0'.repeat(350)}`).verdict).toBe('unequal');
    expect(judge('7', '9^{9^{9^{9}}}').verdict).not.toBe('equal');
    expect(judge('10^{10^{10}}', '10^{10^{10}} + 1').verdict).not.toBe('equal');
  });

  it('compares 16-digit and longer literals exactly, or not at all', () => {
    expect(judge('12345678901234567890', '12345678901234567891').verdict).toBe('unequal');
    expect(judge('x + 12345678901234567890', 'x + 12345678901234567891').verdict).not.toBe('equal');
    expect(judge('0.12345678901234567890', '0.1234567890123456789').verdict).toBe('equal');
  });

  it('strips a unit word after a number, but not a math word or a product written close up', () => {
    expect([judge('5', '5pi'), judge('5', '5 pi'), judge('5', '5xy')].map((j) => j.verdict)).toEqual(['unequal', 'unequal', 'unequal']);
    expect([judge('5', '5 cm'), judge('5', '5cm'), judge('864', '864 square inches')].map((j) => j.verdict)).toEqual(['equal', 'equal', 'equal']);
  });

  it('keeps a space between digits: 10 00 is not 1000 and 3 4 is not 12, while 1 000 is a thousands group', () => {
    expect([judge('1000', '10 00'), judge('12', '3 4'), judge('34', '3 4'), judge('1000', '1 000')].map((j) => j.verdict)).toEqual(['unequal', 'unequal', 'unequal', 'equal']);
  });

  it('does not match a multiple-choice letter gold with a variable of the same name', () => {
    expect(gradeMath('\\text{(C)}', '… $y = c$.').correct).toBe(false);
    expect(gradeMath('\\text{(C)}', 'So we take $\\boxed{c}$.').correct).toBe(false);
    expect(gradeMath('\\text{(C)}', 'The answer is $\\boxed{C}$.').correct).toBe(true);
    expect(gradeMath('\\text{(C)}', 'The answer is $\\boxed{\\textbf{(C) }12}$.').correct).toBe(true);
    expect(gradeMath('\\text{(C)}', 'The answer is (D).').correct).toBe(false);
    expect(gradeMath('\\text{(C)}', 'Thus $\\boxed{\\text{(C)} + 1}$.').correct).toBe(false);
  });

  it('reads only the last non-empty closed box, and the echoed problem never stands in for it', () => {
    expect(extractAnswer(r`Compute $2 \cdot 5$. \boxed{}. \boxed{`)).toEqual({ pred: null, rule: 'boxed' });
  });
});
