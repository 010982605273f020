import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { loadChatTemplate } from '../../src/model/chat-template.js';
import { templateCodec } from '../../src/model/policy.js';
import type { ChatMessage } from '../../src/model/tokenizer.js';

const HF = resolve(__dirname, '../fixtures/hf');

describe("the trainers' codec against transformers' ids of whole conversations", () => {
  it.each(['llama', 'smollm2', 'qwen3'])('%s (no prefill): prompt + completion = apply_chat_template(conversation, tokenize=True)', (name) => {
    const dir = join(HF, name);
    const tok = loadHfTokenizer(dir);
    const codec = templateCodec(tok, loadChatTemplate(dir, tok)!);
    const c = (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).chat as { messages: ChatMessage[]; add_generation_prompt: boolean; ids: number[] }[]).find((x) => !x.add_generation_prompt)!;
    const { prompt, completion } = codec.encodeChat(c.messages);
    expect([...prompt, ...completion]).toEqual(c.ids);
    expect(codec.prefill(c.messages.slice(0, -1))).toBe('');
  });
});
