import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadHfTokenizer } from '../../src/model/hf-tokenizer.js';
import { loadChatTemplate } from '../../src/model/chat-template.js';
import { templateCodec } from '../../src/model/policy.js';
import type { ChatMessage } from '../../src/model/tokenizer.js';

const ROOT = join(__dirname, '..', 'fixtures', 'hf');
function codecOf(name: string) {
  const dir = join(ROOT, name);
  const tok = loadHfTokenizer(dir);
  return { tok, codec: templateCodec(tok, loadChatTemplate(dir, tok)!), chat: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')).chat as { messages: ChatMessage[]; add_generation_prompt: boolean; ids: number[] }[] };
}

describe('a tokenizer and chat template as the trainers\' codec', () => {
  it('encodes prompts exactly as apply_chat_template(add_generation_prompt=True, tokenize=True)', () => {
    for (const name of ['qwen2', 'llama', 'qwen3']) {
      const { codec, chat } = codecOf(name);
      for (const c of chat.filter((x) => x.add_generation_prompt)) expect(codec.encodePrompt(c.messages), name).toEqual(c.ids);
    }
  });

  it('trains an R1 template\'s answer on its reasoning: the text after the <think> prefill, then eos', () => {
    const { codec, tok, chat } = codecOf('qwen2');
    const c = chat.find((x) => !x.add_generation_prompt)!;
    const { prompt, completion } = codec.encodeChat(c.messages);
    expect(prompt).toEqual(codec.encodePrompt(c.messages.slice(0, -1)));
    expect(codec.prefill(c.messages.slice(0, -1))).toBe('<think>\n');
    expect(tok.decode(completion)).toBe('x = 4\n</think>\n\nx = \\boxed{4}<|im_end|>');
  });

  it('takes a ChatML answer as the rest of the rendered conversation, end-of-turn included', () => {
    const { codec, tok } = codecOf('qwen3');
    const messages: ChatMessage[] = [{ role: 'user', content: 'Solve 2x + 3 = 11.' }, { role: 'assistant', content: 'x = 4' }];
    const { prompt, completion } = codec.encodeChat(messages);
    expect(tok.decode([...prompt, ...completion])).toBe(tok.decode(tok.encode(loadChatTemplate(join(ROOT, 'qwen3'), tok)!.render(messages, { add_generation_prompt: false }), { add_special_tokens: false })));
    expect(tok.decode(completion)).toBe('x = 4<|im_end|>\n');
    expect(codec.decode(completion)).toBe('x = 4\n');
  });
});
