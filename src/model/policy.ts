// A model as the trainers see it: the CausalLM, the chat codec that turns conversations into token ids, and the
// training checkpoint (trainable tensors, optimizer tensors under "opt/", state). Our GPT trains all its weights;
// a Hugging Face model trains its LoRA factors, and its reference policy is the same model with adapters off.

import * as tf from '@tensorflow/tfjs';
import { InputError } from '../util/errors.js';
import { loadSafetensors, saveSafetensors } from './checkpoint.js';
import { gptLM, loadModel, saveModel, type LocalModel } from './lm.js';
import type { CausalLM } from './causal-lm.js';
import type { ChatMessage, Tokenizer } from './tokenizer.js';
import { encodeChatPrompt, type ChatTemplate } from './chat-template.js';
import type { HfModel } from './hf-model.js';

export interface ChatCodec {
  /** The prompt of a conversation, up to and including the generation prompt. */
  encodePrompt(messages: readonly ChatMessage[]): number[];
  /** Prompt and completion of a conversation that ends with an assistant turn; the completion ends with eos. */
  encodeChat(messages: readonly ChatMessage[]): { prompt: number[]; completion: number[] };
  decode(ids: readonly number[]): string;
  /** Text the generation prompt pre-fills for the answer (an R1 template's "<think>\n"); rewards see it + completion. */
  prefill(messages: readonly ChatMessage[]): string;
  readonly eosIds: readonly number[];
  readonly pad: number;
}

/**
 * A tokenizer and chat template as a codec: the prompt is the template with the generation prompt, tokenized with no
 * specials added (as apply_chat_template(tokenize=True)); the completion is the rest of the rendered conversation
 * (its end-of-turn tokens included), or, for templates that rewrite the last assistant turn (R1's drop the
 * reasoning), the answer after the prefill followed by eos.
 */
export function templateCodec(tok: Tokenizer, template: ChatTemplate, eosIds: readonly number[] = tok.eosIds): ChatCodec {
  const tm = (ms: readonly ChatMessage[]) => ms.map((m) => ({ role: m.role, content: m.content }));
  const encodePrompt = (ms: readonly ChatMessage[]) => encodeChatPrompt(template, tok, tm(ms)).ids;
  return {
    encodePrompt,
    encodeChat(ms) {
      const last = ms[ms.length - 1];
      if (!last || last.role !== 'assistant') throw new InputError('a training conversation must end with an assistant message', { field: 'messages' });
      const head = ms.slice(0, -1);
      const promptText = template.render(tm(head), { add_generation_prompt: true });
      const full = template.render(tm(ms), { add_generation_prompt: false });
      const prompt = tok.encode(promptText, { add_special_tokens: false });
      if (full.startsWith(promptText) && full.length > promptText.length) return { prompt, completion: tok.encode(full.slice(promptText.length), { add_special_tokens: false }) };
      const pre = template.generationPrefix(tm(head));
      const answer = last.content.startsWith(pre) ? last.content.slice(pre.length) : last.content;
      return { prompt, completion: [...tok.encode(answer, { add_special_tokens: false }), tok.eos] };
    },
    decode: (ids) => tok.decode(ids, { skip_special_tokens: true }),
    prefill: (ms) => template.generationPrefix(tm(ms)),
    eosIds,
    pad: tok.pad,
  };
}

export interface Policy {
  lm: CausalLM;
  codec: ChatCodec;
  saveCheckpoint(path: string, state: Record<string, unknown>, opt: Record<string, tf.Tensor>): Promise<string>;
  /** Loads the trainable tensors of a checkpoint into the model; returns its state and optimizer tensors. */
  restore(path: string): { state: Record<string, unknown>; opt: Record<string, tf.Tensor> };
}

export function gptPolicy(model: LocalModel): Policy {
  const tok = model.tokenizer;
  return {
    lm: gptLM(model, [tok.eos]),
    codec: {
      encodePrompt: (m) => tok.encodePrompt(m),
      encodeChat: (m) => tok.encodeChat(m),
      decode: (ids) => tok.decode(ids),
      prefill: () => '',
      eosIds: [tok.eos],
      pad: tok.pad,
    },
    saveCheckpoint: (path, state, opt) => saveModel(path, model, state, opt),
    restore: (path) => {
      const { model: saved, state, extra } = loadModel(path);
      for (const [k, v] of Object.entries(saved.params)) {
        model.params[k].assign(v);
        v.dispose();
      }
      return { state, opt: extra };
    },
  };
}

export function hfPolicy(model: HfModel, codec: ChatCodec): Policy {
  if (!Object.keys(model.trainable).length) throw new InputError('a Hugging Face model is trained through LoRA adapters, and this one has none', { field: 'lora', hint: 'add a lora: section to the recipe' });
  return {
    lm: model,
    codec,
    saveCheckpoint: (path, state, opt) => {
      const tensors: Record<string, tf.Tensor> = {};
      for (const [k, v] of Object.entries(model.trainable)) tensors[`lora/${k}`] = v;
      for (const [k, t] of Object.entries(opt)) tensors[`opt/${k}`] = t;
      return saveSafetensors(path, tensors, { format: 'reprise-lora', lora: JSON.stringify(model.lora), state: JSON.stringify(state) });
    },
    restore: (path) => {
      const f = loadSafetensors(path);
      if (f.metadata.format !== 'reprise-lora') throw new InputError('not a Reprise LoRA training checkpoint (metadata.format is not "reprise-lora")', { file: path });
      const opt: Record<string, tf.Tensor> = {};
      for (const [k, t] of Object.entries(f.tensors)) {
        if (k.startsWith('opt/')) opt[k.slice(4)] = tf.tensor(t.data, t.shape);
        else {
          const v = model.trainable[k.slice('lora/'.length)];
          if (!v || v.shape.join() !== t.shape.join()) throw new InputError(`tensor ${k} does not fit the model's adapters`, { file: path, hint: 'the checkpoint was written with other lora settings' });
          const value = tf.tensor(t.data, t.shape);
          v.assign(value);
          value.dispose();
        }
      }
      return { state: JSON.parse(f.metadata.state ?? '{}'), opt };
    },
  };
}
