// The OpenAI-compatible API over a ChatBackend (mounted at /v1): models, chat completions and completions,
// streaming as server-sent events; bodies above a limit get 413. The backend is obtained on the first request, so these
// routes can be built without tfjs.

import { timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { ChatBackend, Generation } from '../inference/chat-backend.js';
import { InputError, RegistryError, RepriseError } from '../util/errors.js';

export interface OpenAIRoutesOptions {
  /** Called once, on the first request that needs a model. */
  backend: () => Promise<ChatBackend>;
  /** When set, every request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Larger request bodies are answered 413 as soon as the limit is passed (default 4 MiB). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 2 ** 20;

const Sampling = {
  model: z.string(),
  n: z.number().int().min(1).max(128).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  seed: z.number().int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  stream: z.boolean().optional(),
};
const Message = z.object({ role: z.enum(['system', 'user', 'assistant', 'developer']), content: z.union([z.string(), z.array(z.object({ type: z.literal('text'), text: z.string() }))]) });
const ChatBody = z.object({ ...Sampling, messages: z.array(Message).min(1) });
const CompletionBody = z.object({ ...Sampling, prompt: z.union([z.string(), z.array(z.string()).length(1)]) });

function apiError(c: Context, status: 400 | 401 | 404 | 413 | 500, message: string, type: string, param: string | null = null, code: string | null = null) {
  return c.json({ error: { message, type, param, code } }, status);
}

function sameKey(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

const sampling = (b: z.infer<typeof ChatBody> | z.infer<typeof CompletionBody>) => ({
  n: b.n,
  temperature: b.temperature,
  top_p: b.top_p,
  max_tokens: b.max_completion_tokens ?? b.max_tokens,
  seed: b.seed,
  stop: b.stop === null || b.stop === undefined ? undefined : typeof b.stop === 'string' ? [b.stop] : b.stop,
});

const usage = (g: Generation) => ({ prompt_tokens: g.prompt_tokens, completion_tokens: g.completion_tokens, total_tokens: g.prompt_tokens + g.completion_tokens });

export function openaiRoutes(opts: OpenAIRoutesOptions): Hono {
  const app = new Hono();
  let loading: Promise<ChatBackend> | undefined;
  const backend = () => (loading ??= opts.backend().catch((e: unknown) => {
    loading = undefined;
    throw e;
  }));
  let counter = 0;
  const newId = (prefix: string) => `${prefix}-${Date.now().toString(36)}${(counter++).toString(36)}`;

  app.use('*', async (c, next) => {
    if (opts.apiKey) {
      const h = c.req.header('authorization') ?? '';
      if (!h.startsWith('Bearer ') || !sameKey(h.slice(7), opts.apiKey)) return apiError(c, 401, 'Missing or wrong API key: send "Authorization: Bearer <key>".', 'invalid_request_error', null, 'invalid_api_key');
    }
    await next();
  });
  const maxSize = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.post('*', bodyLimit({ maxSize, onError: (c) => apiError(c, 413, `request body is larger than ${maxSize} bytes`, 'invalid_request_error', null, 'request_too_large') }));

  app.get('/models', async (c) => c.json({ object: 'list', data: (await backend()).models().map((m) => ({ ...m, object: 'model' })) }));

  app.post('/chat/completions', async (c) => {
    const parsed = ChatBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return apiError(c, 400, `invalid request body: ${z.prettifyError(parsed.error)}`, 'invalid_request_error', String(parsed.error.issues[0]?.path.join('.') ?? ''));
    const b = parsed.data;
    const messages = b.messages.map((m) => ({ role: m.role === 'developer' ? ('system' as const) : m.role, content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('') }));
    const g = await (await backend()).chat(b.model, { messages, ...sampling(b) });
    const id = newId('chatcmpl');
    const created = Math.floor(Date.now() / 1000);
    if (b.stream) {
      return streamSSE(c, async (s) => {
        const chunk = (index: number, delta: object, finish: string | null) => s.writeSSE({ data: JSON.stringify({ id, object: 'chat.completion.chunk', created, model: b.model, choices: [{ index, delta, finish_reason: finish, logprobs: null }] }) });
        for (const [i, ch] of g.choices.entries()) {
          await chunk(i, { role: 'assistant', content: '' }, null);
          for (const p of ch.pieces) await chunk(i, { content: p }, null);
          await chunk(i, {}, ch.finish_reason);
        }
        await s.writeSSE({ data: '[DONE]' });
      });
    }
    return c.json({
      id,
      object: 'chat.completion',
      created,
      model: b.model,
      choices: g.choices.map((ch, index) => ({ index, message: { role: 'assistant', content: ch.text }, finish_reason: ch.finish_reason, logprobs: null })),
      usage: usage(g),
    });
  });

  app.post('/completions', async (c) => {
    const parsed = CompletionBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return apiError(c, 400, `invalid request body: ${z.prettifyError(parsed.error)}`, 'invalid_request_error', String(parsed.error.issues[0]?.path.join('.') ?? ''));
    const b = parsed.data;
    const g = await (await backend()).complete(b.model, { prompt: typeof b.prompt === 'string' ? b.prompt : b.prompt[0], ...sampling(b) });
    const id = newId('cmpl');
    const created = Math.floor(Date.now() / 1000);
    if (b.stream) {
      return streamSSE(c, async (s) => {
        const chunk = (index: number, text: string, finish: string | null) => s.writeSSE({ data: JSON.stringify({ id, object: 'text_completion', created, model: b.model, choices: [{ index, text, finish_reason: finish, logprobs: null }] }) });
        for (const [i, ch] of g.choices.entries()) {
          for (const p of ch.pieces) await chunk(i, p, null);
          await chunk(i, '', ch.finish_reason);
        }
        await s.writeSSE({ data: '[DONE]' });
      });
    }
    return c.json({ id, object: 'text_completion', created, model: b.model, choices: g.choices.map((ch, index) => ({ index, text: ch.text, finish_reason: ch.finish_reason, logprobs: null })), usage: usage(g) });
  });

  app.notFound((c) => apiError(c, 404, `no route ${c.req.method} /v1${c.req.path.replace(/^\/v1/, '')}`, 'invalid_request_error'));

  app.onError((err, c) => {
    if (err instanceof RegistryError) return apiError(c, 404, err.message, 'invalid_request_error', 'model', 'model_not_found');
    if (err instanceof InputError) return apiError(c, 400, err.message, 'invalid_request_error', err.field ?? null);
    if (err instanceof RepriseError) return apiError(c, 500, err.message, 'server_error', null, err.code);
    console.error(err);
    return apiError(c, 500, 'internal error; see the server log', 'server_error');
  });

  return app;
}
