// Pooled client for OpenAI-compatible chat endpoints (vLLM, SGLang, reprise serve): least-in-flight balancing,
// a p-limit bound, retries on 429/5xx/timeouts/resets/malformed bodies with jittered backoff and Retry-After.

import pLimit, { type LimitFunction } from 'p-limit';
import { InputError, RepriseError } from '../util/errors.js';

export interface EndpointConfig { base_url: string; model: string; api_key_env?: string; timeout_s?: number }
export interface ChatRequest { messages: { role: 'system' | 'user' | 'assistant'; content: string }[]; n?: number; temperature?: number; top_p?: number; max_tokens?: number; seed?: number; stop?: string[] }
export interface ChatChoice {
  text: string;
  reasoning?: string;
  finish_reason: string;
  /** The completion as generated, when the reasoning was split off here (local checkpoints). */
  raw?: string;
}
export interface ChatResult { choices: ChatChoice[]; usage: { prompt_tokens: number; completion_tokens: number }; endpoint: string }
export interface FailureCounts { retries: number; http_429: number; http_5xx: number; timeouts: number; resets: number; malformed: number; failed: number }
export interface PoolOptions { concurrency?: number; max_retries?: number; base_delay_ms?: number; max_delay_ms?: number }

type Kind = 'http_429' | 'http_5xx' | 'timeouts' | 'resets' | 'malformed';

/** One failed attempt; kind 'fatal' means the request itself is wrong (a 4xx other than 429): no retry. */
class AttemptError extends Error {
  constructor(readonly kind: Kind | 'fatal', message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

interface Slot { url: string; model: string; key?: string; timeoutMs: number; inFlight: number }

/** `http://h:p` and `http://h:p/` mean `http://h:p/v1`; any other path is taken as given. */
export function normalizeBaseUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new InputError(`endpoint base_url "${u}" is not a URL`, { field: 'base_url', hint: 'write it as http://host:port/v1' });
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path === '' ? '/v1' : path}`;
}

/** Splits `<think>…</think>` out of a completion; a missing opening tag means the template opened it. */
export function splitThink(text: string): { text: string; reasoning?: string } {
  const close = text.indexOf('</think>');
  if (close < 0) return { text };
  const open = text.indexOf('<think>');
  const start = open >= 0 && open < close ? open + '<think>'.length : 0;
  return { reasoning: text.slice(start, close).trim(), text: text.slice(close + '</think>'.length).trim() };
}

function parseRetryAfter(h: Headers): number | undefined {
  const ms = h.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const v = h.get('retry-after');
  if (!v) return undefined;
  if (Number.isFinite(Number(v))) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function parseBody(body: unknown): Omit<ChatResult, 'endpoint'> {
  const b = body as { choices?: unknown; usage?: { prompt_tokens?: number; completion_tokens?: number } };
  if (!b || !Array.isArray(b.choices) || b.choices.length === 0) throw new AttemptError('malformed', 'response has no choices');
  const choices = b.choices.map((c: { message?: { content?: unknown; reasoning_content?: unknown }; finish_reason?: unknown }) => {
    const content = c?.message?.content;
    if (content !== null && content !== undefined && typeof content !== 'string') throw new AttemptError('malformed', 'choice.message.content is not a string');
    const rc = c.message?.reasoning_content;
    const split = typeof rc === 'string' ? { text: content ?? '', reasoning: rc } : splitThink(content ?? '');
    return { ...split, finish_reason: typeof c.finish_reason === 'string' ? c.finish_reason : 'stop' };
  });
  return { choices, usage: { prompt_tokens: b.usage?.prompt_tokens ?? 0, completion_tokens: b.usage?.completion_tokens ?? 0 } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OpenAIPool {
  private readonly slots: Slot[];
  private readonly limit: LimitFunction;
  private readonly maxRetries: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private rr = 0;
  private readonly counts: FailureCounts = { retries: 0, http_429: 0, http_5xx: 0, timeouts: 0, resets: 0, malformed: 0, failed: 0 };

  constructor(endpoints: EndpointConfig[], opts: PoolOptions = {}) {
    if (endpoints.length === 0) throw new InputError('OpenAIPool needs at least one endpoint', { field: 'endpoints', hint: 'pass --endpoint URL --model NAME' });
    this.slots = endpoints.map((e, i) => {
      const key = e.api_key_env ? process.env[e.api_key_env] : undefined;
      if (e.api_key_env && !key) throw new InputError(`environment variable ${e.api_key_env} is not set`, { field: `endpoints[${i}].api_key_env`, hint: `export ${e.api_key_env}=<key>, or drop api_key_env for a server without a key` });
      return { url: normalizeBaseUrl(e.base_url), model: e.model, key, timeoutMs: (e.timeout_s ?? 600) * 1000, inFlight: 0 };
    });
    this.limit = pLimit(opts.concurrency ?? 16);
    this.maxRetries = opts.max_retries ?? 6;
    this.baseDelay = opts.base_delay_ms ?? 500;
    this.maxDelay = opts.max_delay_ms ?? 30_000;
  }

  failures(): FailureCounts {
    return { ...this.counts };
  }

  async chat(req: ChatRequest): Promise<ChatResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.limit(() => this.attempt(req));
      } catch (e) {
        if (!(e instanceof AttemptError)) throw e;
        if (e.kind !== 'fatal') this.counts[e.kind]++;
        if (e.kind === 'fatal' || attempt >= this.maxRetries) {
          this.counts.failed++;
          throw new RepriseError('E_ENDPOINT', `chat request failed after ${attempt + 1} attempt(s): ${e.message}`, e.kind === 'fatal' ? 'the server rejected the request; check the model name and sampling settings' : 'the endpoint keeps failing; check that it is up, or lower --concurrency');
        }
        this.counts.retries++;
        const backoff = Math.min(this.maxDelay, this.baseDelay * 2 ** attempt) * (0.5 + Math.random() * 0.5);
        await sleep(e.retryAfterMs !== undefined ? Math.min(Math.max(e.retryAfterMs, 0), 120_000) : backoff);
      }
    }
  }

  private pick(): Slot {
    let best = this.slots[this.rr++ % this.slots.length];
    for (const s of this.slots) if (s.inFlight < best.inFlight) best = s;
    return best;
  }

  private async attempt(req: ChatRequest): Promise<ChatResult> {
    const slot = this.pick();
    slot.inFlight++;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), slot.timeoutMs);
    try {
      const res = await fetch(`${slot.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(slot.key ? { authorization: `Bearer ${slot.key}` } : {}) },
        body: JSON.stringify({ model: slot.model, ...req }),
        signal: ac.signal,
      });
      const text = await res.text();
      if (res.status === 429) throw new AttemptError('http_429', `${slot.url}: 429 ${text.slice(0, 200)}`, parseRetryAfter(res.headers));
      if (res.status >= 500) throw new AttemptError('http_5xx', `${slot.url}: ${res.status} ${text.slice(0, 200)}`, parseRetryAfter(res.headers));
      if (!res.ok) throw new AttemptError('fatal', `${slot.url}: ${res.status} ${text.slice(0, 300)}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new AttemptError('malformed', `${slot.url}: response is not JSON: ${text.slice(0, 100)}`);
      }
      return { ...parseBody(body), endpoint: slot.url };
    } catch (e) {
      if (e instanceof AttemptError) throw e;
      if (ac.signal.aborted) throw new AttemptError('timeouts', `${slot.url}: no answer within ${slot.timeoutMs / 1000}s`);
      // fetch rejects with TypeError('fetch failed' | 'terminated') for refused, reset and dropped connections
      throw new AttemptError('resets', `${slot.url}: connection failed: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`);
    } finally {
      clearTimeout(timer);
      slot.inFlight--;
    }
  }
}
