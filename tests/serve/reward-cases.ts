// One batch of completions, as TRL passes them, for the reward server's tests: two prompts (so the group-level
// length reward has groups), right, wrong, malformed and think-format answers, a chat-format completion, and
// code that passes or fails its tests. Expected scores always come from the registry itself.

import { makeRewardAsync, type RewardInput } from '../../src/rewards/index.js';

const sumPrompt = [{ role: 'user', content: '0012+0034' }];
const mathPrompt = [{ role: 'user', content: 'What is 3/4 + 1/4? Put the answer in \\boxed{}.' }];

export const MATH_ITEMS = [
  { prompt: sumPrompt, answer: '46', completion: '<think>2+4+0=06;1+3+0=04;</think><answer>46</answer>' },
  { prompt: sumPrompt, answer: '46', completion: '<think>2+4+0=06;1+3+0=05;</think><answer>56</answer>' },
  { prompt: sumPrompt, answer: '46', completion: 'I cannot add these.' },
  { prompt: sumPrompt, answer: '46', completion: '<think>\nStep 1: 2+4=6\nStep 2: 1+3=4\n</think>\n<answer>\n46\n</answer>' },
  { prompt: sumPrompt, answer: '46', completion: '<answer>46</answer><answer>46</answer>' },
  { prompt: sumPrompt, answer: '46', completion: '' },
  { prompt: mathPrompt, solution: '1', completion: [{ role: 'assistant', content: '<think>3/4+1/4 = 4/4</think><answer>\\boxed{1}</answer>' }] },
  { prompt: mathPrompt, solution: '1', completion: [{ role: 'assistant', content: 'First, add. Next, simplify. Finally, \\boxed{\\frac{4}{4}} the the the the the the' }] },
  { prompt: mathPrompt, solution: '1', completion: [{ role: 'assistant', content: '<think>no idea</think><answer>\\boxed{2}</answer>' }] },
  { prompt: mathPrompt, gold: 'not a number {', completion: '<answer>1</answer>' },
];

const codeGold = JSON.stringify({ test_list: ['assert add(1, 2) == 3', 'assert add(-1, 1) == 0'] });
const fence = (code: string) => `<think>add two numbers</think><answer>\n\`\`\`python\n${code}\n\`\`\`\n</answer>`;
export const CODE_ITEMS = [
  { prompt: 'Write add(a, b).', answer: codeGold, completion: fence('def add(a, b):\n    return a + b') },
  { prompt: 'Write add(a, b).', answer: codeGold, completion: fence('def add(a, b):\n    return a * b if a > 0 else a + b') },
  { prompt: 'Write add(a, b).', answer: codeGold, completion: 'def add(a, b): return a + b' },
];

export const MATH_REWARDS = [
  { name: 'accuracy' },
  { name: 'accuracy', params: { preset: 'math', strict: false } },
  { name: 'format' },
  { name: 'tag_count' },
  { name: 'reasoning_steps', params: { min_steps: 2 } },
  { name: 'length' },
  { name: 'cosine', params: { max_len: 40 } },
  { name: 'repetition_penalty', params: { ngram_size: 2, max_penalty: -0.5 } },
  { name: 'soft_overlong_punishment', params: { max_completion_len: 60, soft_punish_cache: 20 } },
  { name: 'edit_distance' },
  { name: 'code_format', params: { language: 'python' } },
];
export const CODE_REWARDS = [{ name: 'code' }, { name: 'binary_code' }, { name: 'code_format' }];

type Item = { prompt: unknown; completion: string | { role: string; content: string }[]; answer?: string; gold?: string; solution?: string };

/** What the registry gives, each prompt's completions scored as one group (as Reprise's GRPO does). */
export async function registryScores(rewards: { name: string; params?: Record<string, unknown> }[], items: Item[], lengths?: number[]): Promise<(number | null)[][]> {
  const text = (c: Item['completion']) => (typeof c === 'string' ? c : c.map((m) => m.content).join('\n'));
  const inputs: RewardInput[] = items.map((x, i) => ({ completion: text(x.completion), gold: x.gold ?? x.answer ?? x.solution ?? '', length: lengths?.[i] }));
  const keys = items.map((x) => JSON.stringify(x.prompt));
  return Promise.all(
    rewards.map(async (r) => {
      const fn = makeRewardAsync(r.name, r.params);
      const out = new Array<number | null>(items.length).fill(null);
      for (const k of new Set(keys)) {
        const idx = keys.flatMap((x, i) => (x === k ? [i] : []));
        const s = await fn(idx.map((i) => inputs[i]));
        idx.forEach((i, j) => (out[i] = s[j]));
      }
      return out;
    }),
  );
}
