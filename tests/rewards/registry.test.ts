import { describe, expect, it, beforeEach } from 'vitest';
import { REWARDS, REWARD_NAMES, getReward, makeReward, nullCounts, resetNullCounts, scoreGroup } from '../../src/rewards/index.js';

const ok = '<think>2+2</think><answer>4</answer>';
const wrong = '<think>2+2</think><answer>5</answer>';

describe('the reward registry', () => {
  beforeEach(() => resetNullCounts());

  it('registers every reward the recipes may name, each with help text', () => {
    expect(REWARD_NAMES).toEqual(expect.arrayContaining(['accuracy', 'format', 'tag_count', 'reasoning_steps', 'length', 'cosine', 'repetition_penalty', 'soft_overlong_punishment', 'edit_distance', 'code', 'binary_code', 'code_format']));
    for (const n of REWARD_NAMES) expect(REWARDS[n].help.length).toBeGreaterThan(10);
  });

  it('suggests the nearest name for a misspelt reward', () => {
    expect(() => getReward('acuracy')).toThrow(/did you mean "accuracy"/);
  });

  it('scores accuracy gold first: a prediction that is a subset of the gold is wrong (open-r1 passed them reversed)', () => {
    const acc = getReward('accuracy');
    expect(acc({ completion: '<answer>1728</answer>', gold: '1331, 1728' })).toBe(0);
    expect(acc({ completion: ok, gold: '4' })).toBe(1);
    expect(acc({ completion: wrong, gold: '4' })).toBe(0);
  });

  it('gives null, not 1.0, when the gold does not parse, and counts it', () => {
    expect(getReward('accuracy')({ completion: ok, gold: '' })).toBeNull();
    expect(nullCounts().accuracy).toEqual({ 'gold answer does not parse': 1 });
  });

  it('makes getReward throw for the group-level length reward, pointing to scoreGroup', () => {
    expect(() => getReward('length')).toThrow(/scoreGroup/);
    expect(() => REWARDS.length.fn({ completion: ok, gold: '4' })).toThrow(/scoreGroup/);
  });

  it('scores any per-item reward through scoreGroup by mapping it', () => {
    expect(scoreGroup('format', [{ completion: ok, gold: '4' }, { completion: 'x', gold: '4' }])).toEqual([1, 0]);
  });

  it('checks parameters when a reward is built, naming the bad one', () => {
    expect(() => makeReward('cosine', { max_len: -5 })).toThrow(/max_len/);
    expect(() => makeReward('repetition_penalty', { max_penalty: 0.5 })).toThrow(/max_penalty/);
    expect(() => makeReward('soft_overlong_punishment', { max_completion_len: 100, soft_punish_cache: 200 })).toThrow(/soft_punish_cache/);
    expect(() => makeReward('format', { unknown_key: 1 })).toThrow(/unknown_key|Unrecognized/);
  });

  it('returns null with a reason from the synchronous code rewards, which need the async sandbox path', () => {
    for (const n of ['code', 'binary_code']) expect(getReward(n)({ completion: '```python\nprint(1)\n```', gold: '' })).toBeNull();
    expect(Object.keys(nullCounts().code)[0]).toMatch(/sandbox/);
  });

  it('scores code_format without running anything', () => {
    const ok = '<think>plan</think><answer>```python\nprint(1)\n```</answer>';
    expect(getReward('code_format')({ completion: ok, gold: '' })).toBe(1);
    expect(getReward('code_format')({ completion: '<think>plan</think><answer>print(1)</answer>', gold: '' })).toBe(0);
  });
});
