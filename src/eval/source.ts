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

/**
 * Loads tfjs and the checkpoint; only this path of the eval does. Requests that arrive together (the eval's
 * concurrent workers) are coalesced into one batched sampling call of up to `batch` requests per sampling
 * setting; each row keeps its own seeded Rng, so batching cannot change a completion.
 */
export async function checkpointSource(path: string, backend: 'auto' | 'wasm' | 'blas' | 'cpu' | 'webgpu' = 'wasm', opts: { id?: string; batch?: number } = {}): Promise<ModelSource> {
  const { LocalChatBackend, defaultModelId } = await import('../inference/local-chat.js');
  const id = opts.id ?? defaultModelId(path);
  const b = await LocalChatBackend.load([{ id, path }], backend);
  const batch = Math.max(1, opts.batch ?? 64);
  let failed = 0;
  let queue: Pending[] = [];
  const flush = async () => {
    const taken = queue;
    queue = [];
    const groups = new Map<string, Pending[]>();
    for (const p of taken) {
      const k = JSON.stringify([p.req.temperature, p.req.top_p, p.req.stop]);
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    for (const g of groups.values()) {
      for (let i = 0; i < g.length; i += batch) {
        const part = g.slice(i, i + batch);
        try {
          const gens = await b.chatBatch(id, part.map((p) => p.req));
          part.forEach((p, k) => p.resolve({ choices: gens[k].choices.map((c) => ({ ...splitThink(c.text), finish_reason: c.finish_reason, raw: c.text })), usage: { prompt_tokens: gens[k].prompt_tokens, completion_tokens: gens[k].completion_tokens }, endpoint: `checkpoint:${id}` }));
        } catch (e) {
          failed += part.length;
          part.forEach((p) => p.reject(e));
        }
      }
    }
  };
  return {
    info: { kind: 'checkpoint', model: id, checkpoint: path, checkpoint_sha256: b.sha256(id), chat_template_sha256: b.chatTemplateSha256(id) },
    chat: (req) =>
      new Promise<ChatResult>((resolve, reject) => {
        // the first request of a round schedules the flush; the others of the same tick join it
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ req, resolve, reject });
      }),
    failures: () => ({ ...NO_FAILURES, failed }),
    close: async () => b.dispose(),
  };
}

interface Pending { req: ChatRequest; resolve: (r: ChatResult) => void; reject: (e: unknown) => void }
