// What an OpenAI-style server needs from a model: list models, complete a chat or a raw prompt. Types only and
// tfjs-free, so the server's routes can be built before (and without) loading any model.

import type { ChatRequest } from './openai-client.js';

export interface BackendModel {
  id: string;
  /** Unix seconds: when the checkpoint was written. */
  created: number;
  owned_by: string;
}

export interface CompletionRequest {
  prompt: string;
  n?: number;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
  stop?: string[];
}

export interface GeneratedChoice {
  text: string;
  finish_reason: 'stop' | 'length';
  /** Completion tokens, one string per token (for streaming). */
  pieces: string[];
}

export interface Generation {
  choices: GeneratedChoice[];
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ChatBackend {
  models(): BackendModel[];
  chat(model: string, req: ChatRequest): Promise<Generation>;
  complete(model: string, req: CompletionRequest): Promise<Generation>;
}

/** Cuts pieces at the first stop string (the stop string itself is dropped, as in the OpenAI API). */
export function applyStop(pieces: readonly string[], stop: readonly string[] | undefined, finished: boolean): GeneratedChoice {
  const text = pieces.join('');
  let cut = -1;
  for (const s of stop ?? []) {
    const i = s === '' ? -1 : text.indexOf(s);
    if (i >= 0 && (cut < 0 || i < cut)) cut = i;
  }
  if (cut < 0) return { text, finish_reason: finished ? 'stop' : 'length', pieces: [...pieces] };
  const kept: string[] = [];
  let len = 0;
  for (const p of pieces) {
    if (len >= cut) break;
    kept.push(p.slice(0, cut - len));
    len += p.length;
  }
  return { text: text.slice(0, cut), finish_reason: 'stop', pieces: kept };
}
