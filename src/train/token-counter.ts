// Token counts of chat JSONL as a Hugging Face model trains on it (its tokenizer and chat template), for the
// chat-JSONL validator (`reprise data validate --tokenizer DIR`, and recipes whose model is a checkpoint).

import { contentText, type Message, type TokenCounter } from '../data/chat-validate.js';

/** Counts what the model trains on: the chat template rendered (tools included) and tokenized as transformers does. */
export async function modelCounter(dir: string): Promise<TokenCounter> {
  const { loadHfTokenizer } = await import('../model/hf-tokenizer.js');
  const { loadChatTemplate } = await import('../model/chat-template.js');
    const tok = loadHfTokenizer(dir);
  const tpl = loadChatTemplate(dir, tok);
  const n = (s: string) => (s ? tok.encode(s, { add_special_tokens: false }).length : 0);
  const assistant = (ms: Message[]) => ms.reduce((a, m) => a + (m.role === 'assistant' && m.weight !== 0 ? n(contentText(m.content)) : 0), 0);
  return {
    name: tpl ? `${dir} (tokenizer and chat template)` : `${dir} (tokenizer; no chat template: message contents only)`,
    count: ({ messages, tools }) => ({
      all: tpl ? n(tpl.render(messages, { add_generation_prompt: false, tools })) : messages.reduce((a, m) => a + n(contentText(m.content)), 0),
      assistant: assistant(messages),
    }),
  };
}

