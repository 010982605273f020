// Where completions come from: OpenAI-compatible endpoints (one or several serving the same model, pooled) or
// a local checkpoint through the same chat interface the server uses, so both run the one eval path.

import type { ChatRequest, ChatResult, EndpointConfig, FailureCounts } from '../inference/openai-client.js';
import { OpenAIPool, splitThink } from '../inference/openai-client.js';
import { InputError } from '../util/errors.js';

export interface SourceInfo {
  kind: 'endpoint' | 'checkpoint';
  model: string;
  endpoints?: string[];
  checkpoint?: string;
  checkpoint_sha256?: string;
  /** Hash of the chat template when we apply it (checkpoints); null when the server applies its own. */
  chat_template_sha256: string | null;
}

export interface ModelSource {
  info: SourceInfo;
  chat(req: ChatRequest): Promise<ChatResult>;
  failures(): FailureCounts;
  close(): Promise<void>;
}

const NO_FAILURES: FailureCounts = { retries: 0, http_429: 0, http_5xx: 0, timeouts: 0, resets: 0, malformed: 0, failed: 0 };

export function endpointSource(endpoints: EndpointConfig[], opts: { concurrency: number; max_retries?: number; base_delay_ms?: number; max_delay_ms?: number }): ModelSource {
  const models = [...new Set(endpoints.map((e) => e.model))];
  if (models.length !== 1) throw new InputError(`pooled endpoints must serve one model, got ${models.join(', ')}`, { field: 'endpoints', hint: 'evaluate each model in its own run' });
  const pool = new OpenAIPool(endpoints, opts);
  return {
    info: { kind: 'endpoint', model: models[0], endpoints: endpoints.map((e) => e.base_url), chat_template_sha256: null },
    chat: (req) => pool.chat(req),
    failures: () => pool.failures(),
    close: async () => {},
  };
}

/** Loads tfjs and the checkpoint; only this path of the eval does. */
export async function checkpointSource(path: string, backend: 'auto' | 'wasm' | 'cpu' | 'webgpu' = 'wasm'): Promise<ModelSource> {
  const { LocalChatBackend, defaultModelId } = await import('../inference/local-chat.js');
  const id = defaultModelId(path);
  const b = await LocalChatBackend.load([{ id, path }], backend);
  let failed = 0;
  return {
    info: { kind: 'checkpoint', model: id, checkpoint: path, checkpoint_sha256: b.sha256(id), chat_template_sha256: b.chatTemplateSha256(id) },
    chat: async (req) => {
      try {
        const g = await b.chat(id, req);
        return { choices: g.choices.map((c) => ({ ...splitThink(c.text), finish_reason: c.finish_reason })), usage: { prompt_tokens: g.prompt_tokens, completion_tokens: g.completion_tokens }, endpoint: `checkpoint:${id}` };
      } catch (e) {
        failed++;
        throw e;
      }
    },
    failures: () => ({ ...NO_FAILURES, failed }),
    close: async () => b.dispose(),
  };
}
