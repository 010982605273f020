import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalChatBackend } from '../../src/inference/local-chat.js';
import { startOpenAIServer, type ApiServer } from '../../src/serve/openai-server.js';
import { serveCli } from '../cli-process.js';
import { tinyCheckpoint } from '../fixtures/tiny-checkpoint.js';

let server: ApiServer;
let keyed: ApiServer;
let small: ApiServer;
let tinyPath: string;
let loads = 0;
beforeAll(async () => {
  const tiny = await tinyCheckpoint({ chars: '0123456789+=;', context_length: 64, name: 'tiny-r1' });
  tinyPath = tiny;
  const backend = async () => {
    loads++;
    return LocalChatBackend.load([{ path: tiny }], 'cpu');
  };
  server = await startOpenAIServer({ backend });
  keyed = await startOpenAIServer({ backend, apiKey: 'sekrit' });
  small = await startOpenAIServer({ backend, maxBodyBytes: 1024 });
}, 60_000);
afterAll(async () => {
  await server.close();
  await keyed.close();
  await small.close();
});

/** POSTs `total` bytes in 64 KiB chunks without a content-length; stops writing once the answer comes. */
function streamPost(url: string, total: number): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((done, fail) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, body, sent }));
    });
    req.on('error', (e) => (answered ? undefined : fail(e)));
    const chunk = Buffer.alloc(64 * 1024, 0x31);
    req.write('{"model":"tiny-r1","messages":[{"role":"user","content":"');
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end('"}]}');
    };
    pump();
  });
}

describe('the OpenAI API over a local checkpoint', () => {
  it('loads no model until the first request', async () => {
    expect(loads).toBe(0);
  });

  it('the official openai client lists the models and gets a chat completion', async () => {
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'unused' });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tiny-r1']);
    const r = await client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '12+34' }], n: 3, temperature: 1, top_p: 0.9, max_tokens: 8, seed: 5 });
    expect(r.choices).toHaveLength(3);
    expect(r.choices[0].message.role).toBe('assistant');
    expect(typeof r.choices[0].message.content).toBe('string');
    expect(['stop', 'length']).toContain(r.choices[0].finish_reason);
    expect(r.usage!.prompt_tokens).toBe(8);
    const again = await client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '12+34' }], n: 3, temperature: 1, top_p: 0.9, max_tokens: 8, seed: 5 });
    expect(again.choices.map((c) => c.message.content)).toEqual(r.choices.map((c) => c.message.content));
  });

  it('streams the same text as the non-streamed answer, and serves /v1/completions', async () => {
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'unused' });
    const args = { model: 'tiny-r1', messages: [{ role: 'user' as const, content: '1+2' }], max_tokens: 10, seed: 1, temperature: 1 };
    const whole = await client.chat.completions.create(args);
    let text = '';
    for await (const chunk of await client.chat.completions.create({ ...args, stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(whole.choices[0].message.content);
    const c = await client.completions.create({ model: 'tiny-r1', prompt: '1+1=', max_tokens: 4, temperature: 0 });
    expect(c.choices[0].text.length).toBeLessThanOrEqual(4);
  });

  it('answers 400 naming the character when a prompt leaves the vocabulary, 404 for an unknown model', async () => {
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const bad = client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '12+x' }] });
    await expect(bad).rejects.toMatchObject({ status: 400, error: { message: expect.stringContaining('character "x" at offset 3 is not in the vocabulary'), type: 'invalid_request_error' } });
    await expect(client.chat.completions.create({ model: 'tiny-r2', messages: [{ role: 'user', content: '1' }] })).rejects.toMatchObject({ status: 404, error: { message: expect.stringContaining('did you mean "tiny-r1"') } });
  });

  it('answers 413 above the body limit, from the first bytes over it, without reading the rest', async () => {
    const r = await streamPost(`${server.baseUrl}/chat/completions`, 64 * 2 ** 20);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body).error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large', message: expect.stringContaining('4194304 bytes') });
    expect(r.sent).toBeLessThan(64 * 2 ** 20);
    const client = new OpenAI({ baseURL: small.baseUrl, apiKey: 'unused', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '1'.repeat(2000) }] })).rejects.toMatchObject({ status: 413 });
    expect((await client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '1+1' }], max_tokens: 2 })).choices).toHaveLength(1);
  });

  it('answers 400 to a prompt longer than the context, also one of megabytes', async () => {
    const client = new OpenAI({ baseURL: server.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const over = client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '1'.repeat(70) }] });
    await expect(over).rejects.toMatchObject({ status: 400, error: { message: expect.stringMatching(/prompt is 73 tokens; the context of tiny-r1 is 64/), type: 'invalid_request_error' } });
    const huge = client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '1'.repeat(3 * 2 ** 20) }] });
    await expect(huge).rejects.toMatchObject({ status: 400, error: { message: expect.stringMatching(/prompt of 3145728 characters .*context of tiny-r1 is 64 tokens/) } });
    await expect(client.completions.create({ model: 'tiny-r1', prompt: '1'.repeat(64) })).rejects.toMatchObject({ status: 400 });
  });

  it('checks the API key when one is set', async () => {
    await expect(new OpenAI({ baseURL: keyed.baseUrl, apiKey: 'wrong', maxRetries: 0 }).models.list()).rejects.toMatchObject({ status: 401 });
    const ok = await new OpenAI({ baseURL: keyed.baseUrl, apiKey: 'sekrit' }).models.list();
    expect(ok.data).toHaveLength(1);
  });

  it('binds 127.0.0.1 by default', () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });
});

describe('reprise serve --model', () => {
  it('refuses to start when a model fails to load, naming the model and the reason', async () => {
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { serveCommand } = await import('../../src/cli/serve.js');
    const base = mkdtempSync(join(tmpdir(), 'reprise-badmodel-'));
    mkdirSync(join(base, 'broken'));
    writeFileSync(join(base, 'broken', 'model.safetensors'), 'not a safetensors file');
    await expect(serveCommand({ reports: join(base, 'reports'), host: '127.0.0.1', port: '0', model: [tinyPath, join(base, 'broken')], backend: 'cpu' })).rejects.toThrow(/cannot serve model "broken" \(.*broken\): /);
  });

  it('serves the leaderboard and, to the official openai client, the model list and a chat completion', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const ckpt = await tinyCheckpoint({ chars: '0123456789+=;', context_length: 64, name: 'tiny-r1' });
    const reports = mkdtempSync(join(tmpdir(), 'reprise-serve-'));
    const { url, stop } = await serveCli(['serve', '--reports', reports, '--port', '0', '--model', ckpt], /OpenAI-compatible API: (http:\/\/127\.0\.0\.1:\d+\/v1)/);
    try {
      expect((await fetch(url.replace(/v1$/, ''))).status).toBe(200);
      const client = new OpenAI({ baseURL: url, apiKey: 'unused' });
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(['tiny-r1']);
      const r = await client.chat.completions.create({ model: 'tiny-r1', messages: [{ role: 'user', content: '12+34' }], max_tokens: 6, seed: 1 });
      expect(r.choices).toHaveLength(1);
      expect(typeof r.choices[0].message.content).toBe('string');
    } finally {
      stop();
    }
  }, 60_000);
});
