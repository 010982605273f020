// The chat codec the trainers use (policy.ts), made from a tokenizer and a chat template: prompts as the model sees
// them at generation time, and training pairs whose completion is exactly what the model should generate after
// that prompt. Where the template prefills the answer (R1-distill's "<think>\n"), the prompt ends with the prefill
// and the completion is the assistant's content without it; the content is taken as written, so a template that
// drops the reasoning of a final assistant turn when it renders one (R1-distill's does) does not drop it from
// training. The completion ends at the first eos id of the template's end-of-turn text (eos is added if it has none).

import { InputError } from '../util/errors.js';
import { encodeChatPrompt, type ChatTemplate, type TemplateMessage } from './chat-template.js';
import type { ChatCodec } from './policy.js';
import type { ChatMessage, Tokenizer } from './tokenizer.js';

const SENTINEL = 'reprise-end-of-turn-sentinel';

export interface TemplateCodec extends ChatCodec {
  /** The template's prefill for this prompt: a completion's full text is generationPrefix + decode(completion). */
  generationPrefix(messages: readonly ChatMessage[]): string;
}

export function templateCodec(tok: Tokenizer, tpl: ChatTemplate): TemplateCodec {
  const eos = new Set(tok.eosIds);
  const endOfTurn = (before: readonly TemplateMessage[]): string => {
    const text = tpl.render([...before, { role: 'assistant', content: SENTINEL }], { add_generation_prompt: false });
    const at = text.lastIndexOf(SENTINEL);
    if (at < 0) throw new InputError('the chat template does not write a final assistant turn', { file: tpl.source, field: 'chat_template' });
    return text.slice(at + SENTINEL.length);
  };
  return {
    encodePrompt: (messages) => encodeChatPrompt(tpl, tok, messages).ids,
    generationPrefix: (messages) => tpl.generationPrefix(messages),
    encodeChat(messages) {
      const last = messages[messages.length - 1];
      if (!last || last.role !== 'assistant') throw new InputError('a training conversation must end with an assistant message', { field: 'messages' });
      const before = messages.slice(0, -1);
      const p = encodeChatPrompt(tpl, tok, before);
      const content = p.generationPrefix && last.content.startsWith(p.generationPrefix) ? last.content.slice(p.generationPrefix.length) : last.content;
      const answer = tok.encode(content, { add_special_tokens: false }).length;
      const ids = tok.encode(content + endOfTurn(before), { add_special_tokens: false });
      const stop = ids.findIndex((id, i) => i >= answer && eos.has(id));
      return { prompt: p.ids, completion: stop >= 0 ? ids.slice(0, stop + 1) : [...ids, tok.eos] };
    },
    decode: (ids) => tok.decode(ids.length && eos.has(ids[ids.length - 1]) ? ids.slice(0, -1) : ids),
    eosIds: tok.eosIds,
    pad: tok.pad,
  };
}
