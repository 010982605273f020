import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { loadChatTemplate } from '../../src/model/chat-template.js';
import { templateCodec } from '../../src/model/chat-codec.js';
import type { ChatMessage } from '../../src/model/tokenizer.js';

const HF = resolve(__dirname, '../fixtures/hf');
const codecOf = (name: string) => {
  const dir = join(HF, name);
  const tok = loadHfTokenizer(dir);
  return { tok, codec: templateCodec(tok, loadChatTemplate(dir, tok)!) };
};
const finalTurn = (name: string) =>
  (JSON.parse(readFileSync(join(HF, name, 'expected.json'), 'utf8')).chat as { messages: ChatMessage[]; add_generation_prompt: boolean; ids: number[] }[]).find((c) => !c.add_generation_prompt)!;

describe('training pairs from a tokenizer and a chat template', () => {
  it.each(['llama', 'smollm2', 'qwen3'])('%s (no prefill): prompt + completion are transformers\' ids of the whole conversation, up to the eos', (name) => {
    const { tok, codec } = codecOf(name);
    const c = finalTurn(name);
    const { prompt, completion } = codec.encodeChat(c.messages);
    expect(tok.eosIds).toContain(completion.at(-1));
    expect([...prompt, ...completion]).toEqual(c.ids.slice(0, prompt.length + completion.length));
    expect(c.ids.slice(prompt.length + completion.length).every((id) => !tok.eosIds.includes(id))).toBe(true);
    expect(codec.generationPrefix(c.messages.slice(0, -1))).toBe('');
  });

  it('qwen2 (R1-distill prefill): the prompt ends with "<think>\\n" and the completion is the rest of the answer, reasoning kept, then eos', () => {
    const { tok, codec } = codecOf('qwen2');
    const c = finalTurn('qwen2');
    const { prompt, completion } = codec.encodeChat(c.messages);
    expect(tok.decode(prompt).endsWith('<|im_start|>assistant\n<think>\n')).toBe(true);
    expect(tok.decode(completion)).toBe('x = 4\n</think>\n\nx = \\boxed{4}<|im_end|>');
    expect(codec.generationPrefix(c.messages.slice(0, -1)) + codec.decode(completion)).toBe(c.messages.at(-1)!.content);
  });

  it('refuses a conversation that does not end with the assistant', () => {
    expect(() => codecOf('llama').codec.encodeChat([{ role: 'user', content: 'hi' }])).toThrow(/must end with an assistant message/);
  });
});
