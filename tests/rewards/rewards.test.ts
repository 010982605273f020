import { describe, expect, it } from 'vitest';
import { getReward, makeReward, scoreGroup } from '../../src/rewards/index.js';
import { outputsMatch } from '../../src/rewards/code.js';

const answer = (a: string, pad = 0) => `<think>${'x'.repeat(pad)}</think><answer>${a}</answer>`;

describe('length (Kimi 1.5)', () => {
  it('normalises within one prompt\'s group: shortest correct gets 0.5, longest −0.5, wrong ones at most 0', () => {
    const g = [answer('4', 0), answer('4', 100), answer('5', 0), answer('5', 100)].map((completion) => ({ completion, gold: '4' }));
    const r = scoreGroup('length', g) as number[];
    expect(r[0]).toBeCloseTo(0.5);
    expect(r[1]).toBeCloseTo(-0.5);
    expect(r[2]).toBe(0);
    expect(r[3]).toBeCloseTo(-0.5);
  });

  it('does not let another prompt\'s lengths change a group\'s scores (open-r1 normalised over the batch)', () => {
    const a = [answer('4', 0), answer('4', 10)].map((completion) => ({ completion, gold: '4' }));
    const b = [answer('9', 1000)].map((completion) => ({ completion, gold: '9' }));
    const perGroup = [...scoreGroup('length', a), ...scoreGroup('length', b)] as number[];
    expect(perGroup[1]).toBeCloseTo(-0.5);
    // over the whole batch, the 1000-long completion would have made a's longer answer look short (0.49)
    expect((scoreGroup('length', [...a, ...b]) as number[])[1]).toBeCloseTo(0.49);
  });

  it('gives zero to all when every length is the same, and null where the gold does not parse', () => {
    expect(scoreGroup('length', [{ completion: answer('4'), gold: '4' }, { completion: answer('5'), gold: '4' }])).toEqual([0, 0]);
    expect(scoreGroup('length', [{ completion: answer('4'), gold: '' }])).toEqual([null]);
  });
});

describe('cosine', () => {
  const fn = getReward('cosine', { max_len: 100 });
  it('gives short correct answers the most and short wrong answers the least', () => {
    expect(fn({ completion: answer('4'), gold: '4', length: 0 })).toBeCloseTo(1);
    expect(fn({ completion: answer('5'), gold: '4', length: 0 })).toBeCloseTo(-1);
  });

  it('is clamped past max_len instead of rising again (open-r1 did not clamp)', () => {
    const at = fn({ completion: answer('4'), gold: '4', length: 100 });
    expect(at).toBeCloseTo(0.5);
    expect(fn({ completion: answer('4'), gold: '4', length: 200 })).toBeCloseTo(0.5);
    expect(fn({ completion: answer('5'), gold: '4', length: 200 })).toBeCloseTo(-0.5);
  });
});

describe('repetition_penalty', () => {
  it('is zero for text without repeated n-grams and max_penalty times the repeated fraction otherwise', () => {
    const fn = getReward('repetition_penalty', { ngram_size: 2, max_penalty: -1 });
    expect(fn({ completion: 'a b c d', gold: '' })).toBe(0);
    expect(fn({ completion: 'a b a b a b', gold: '' })).toBeCloseTo(-0.6);
    expect(fn({ completion: 'a', gold: '' })).toBe(0);
  });
});

describe('soft_overlong_punishment (DAPO)', () => {
  const fn = getReward('soft_overlong_punishment', { max_completion_len: 100, soft_punish_cache: 20 });
  it.each([
    [80, 0],
    [90, -0.5],
    [100, -1],
    [150, -1],
  ])('gives length %d the score %d', (length, want) => {
    expect(fn({ completion: '', gold: '', length })).toBeCloseTo(want);
  });
});

describe('format, tag_count and reasoning_steps', () => {
  it('scores the exact think/answer structure, in both spellings', () => {
    const f = getReward('format');
    expect(f({ completion: answer('1'), gold: '' })).toBe(1);
    expect(f({ completion: '<think>\na\n</think>\n<answer>\n1\n</answer>', gold: '' })).toBe(1);
    expect(f({ completion: 'prefix' + answer('1'), gold: '' })).toBe(0);
  });

  it('gives a quarter for each tag present exactly once', () => {
    const t = getReward('tag_count');
    expect(t({ completion: answer('1'), gold: '' })).toBe(1);
    expect(t({ completion: '<think>a</think><think>', gold: '' })).toBe(0.25);
  });

  it('counts reasoning steps up to min_steps', () => {
    const s = getReward('reasoning_steps');
    expect(s({ completion: 'Step 1: a\nStep 2: b\nStep 3: c', gold: '' })).toBe(1);
    expect(s({ completion: 'First, a. Next, b.', gold: '' })).toBeCloseTo(2 / 3);
    expect(s({ completion: 'just do it', gold: '' })).toBe(0);
  });
});

describe('edit_distance', () => {
  it('is 1 for the same text answer, a fraction for a near one, and 0 with no answer', () => {
    const e = getReward('edit_distance');
    expect(e({ completion: answer('\\text{Evelyn}'), gold: '\\text{Evelyn}' })).toBe(1);
    expect(e({ completion: answer('Evelin'), gold: 'Evelyn' })).toBeCloseTo(5 / 6);
    expect(e({ completion: 'nothing here', gold: 'Evelyn' })).toBe(0);
    expect(e({ completion: answer('x'), gold: '' })).toBeNull();
  });
});

describe('code output comparison', () => {
  it('fails a missing line (open-r1 zipped the lines, so a truncated output passed)', () => {
    expect(outputsMatch('1\n2\n3\n', '1\n2\n')).toBe(false);
    expect(outputsMatch('1\n2\n', '1\n2\n3\n')).toBe(false);
  });

  it('ignores trailing spaces and trailing blank lines only', () => {
    expect(outputsMatch('1\n2\n', '1  \n2\n\n')).toBe(true);
    expect(outputsMatch('1\n2', '1\n3')).toBe(false);
  });
});

describe('makeReward', () => {
  it('builds once and scores many groups', () => {
    const acc = makeReward('accuracy', { preset: 'gsm8k' });
    expect(acc([{ completion: '#### 1,000', gold: '1000' }])).toEqual([1]);
  });

  it('gives accuracy 0 to a completion cut off by the length limit that never marked its answer', () => {
    const acc = makeReward('accuracy', { preset: 'math', strict: false });
    const c = 'So far $6 \\cdot 7 = 42$, so maybe 42, but let me check the case where';
    expect(acc([{ completion: c, gold: '42' }, { completion: c, gold: '42', finished: false }, { completion: `\\boxed{42} and then`, gold: '42', finished: false }])).toEqual([1, 0, 1]);
  });
});
