import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalChatBackend } from '../../src/inference/local-chat.js';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';

const DIR = join(__dirname, '..', 'fixtures', 'hf', 'qwen2');
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8'));
let b: LocalChatBackend;

beforeAll(async () => {
  b = await LocalChatBackend.load([{ path: DIR }], 'cpu');
});
afterAll(() => b.dispose());

describe('a Hugging Face directory served as a chat model', () => {
  it('answers a chat greedily with transformers\' prompt ids and continuation', async () => {
    const g = expected.greedy[0];
    const c = expected.chat[0];
    expect(c.ids).toEqual(g.prompt_ids);
    const out = await b.chat('qwen2', { messages: c.messages, temperature: 0, max_tokens: g.max_new_tokens });
    const tok = loadHfTokenizer(DIR);
    expect(out.prompt_tokens).toBe(g.prompt_ids.length);
    expect(out.completion_tokens).toBe(g.output_ids.length);
    // the completion starts inside the template's "<think>\n" prefill, which the text carries (local-chat.ts)
    expect(out.choices[0].text).toBe('<think>\n' + tok.decode(g.output_ids, { skip_special_tokens: true }));
    expect(out.choices[0].pieces.join('')).toBe(out.choices[0].text);
    expect(out.choices[0].finish_reason).toBe('length');
  });

  it('hashes its Jinja template as the chat template of the checkpoint', () => {
    expect(b.chatTemplateSha256('qwen2')).toMatch(/^[0-9a-f]{64}$/);
    expect(b.models().map((m) => m.id)).toEqual(['qwen2']);
  });
});

describe('max_tokens of a Hugging Face chat', () => {
  const max = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8')).max_position_embeddings as number;

  it('defaults to the rest of max_position_embeddings', async () => {
    const c = expected.chat[0];
    const out = await b.chat('qwen2', { messages: c.messages, temperature: 0 });
    expect(out.prompt_tokens).toBe(c.ids.length);
    expect(out.completion_tokens).toBeLessThanOrEqual(max - c.ids.length);
  });

  it('names the prompt length and the limit when the prompt already fills it and no max_tokens is given', async () => {
    const long = [{ role: 'user' as const, content: '1 + 2 = 3. '.repeat(30) }];
    await expect(b.chat('qwen2', { messages: long, temperature: 0 })).rejects.toThrow(new RegExp(`the prompt has \\d+ tokens, max_position_embeddings is ${max}`));
    expect((await b.chat('qwen2', { messages: long, temperature: 0, max_tokens: 3 })).completion_tokens).toBe(3);
  });
});
