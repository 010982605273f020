import { afterEach, describe, expect, it } from 'vitest';
import { normalizeBaseUrl, OpenAIPool, splitThink } from '../../src/inference/openai-client.js';
import { startFake, type Fault, type FakeServer } from '../fixtures/fake-openai.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(faults: Fault[], retryAfter?: string) {
  const s = await startFake({ answer: () => 'hi', fault: (_b, i) => faults[i] ?? 'ok', retryAfter });
  servers.push(s);
  return s;
}
const req = { messages: [{ role: 'user' as const, content: 'x' }] };

describe('OpenAIPool', () => {
  it('retries each kind of transient failure and counts it', async () => {
    const s = await fake(['500', '429', 'malformed', 'drop', 'hang']);
    const pool = new OpenAIPool([{ base_url: s.url, model: 'm', timeout_s: 2 }], { base_delay_ms: 1, max_delay_ms: 5 });
    const r = await pool.chat(req);
    expect(r.choices[0].text).toBe('hi');
    expect(pool.failures()).toEqual({ retries: 5, http_429: 1, http_5xx: 1, timeouts: 1, resets: 1, malformed: 1, failed: 0 });
  });

  it('waits as long as Retry-After says', async () => {
    const s = await fake(['429'], '1');
    const pool = new OpenAIPool([{ base_url: s.url, model: 'm' }], { base_delay_ms: 1 });
    await pool.chat(req);
    expect(s.requests[1].at - s.requests[0].at).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a 400 and says the request was rejected', async () => {
    const s = await fake(['400']);
    const pool = new OpenAIPool([{ base_url: s.url, model: 'm' }], { base_delay_ms: 1 });
    await expect(pool.chat(req)).rejects.toThrow(/400.*bad model[\s\S]*hint: the server rejected the request/);
    expect(s.requests).toHaveLength(1);
    expect(pool.failures().failed).toBe(1);
  });

  it('gives up after max_retries and counts the failure', async () => {
    const s = await fake(['500', '500', '500']);
    const pool = new OpenAIPool([{ base_url: s.url, model: 'm' }], { max_retries: 2, base_delay_ms: 1 });
    await expect(pool.chat(req)).rejects.toThrow(/after 3 attempt/);
    expect(pool.failures()).toMatchObject({ retries: 2, http_5xx: 3, failed: 1 });
  });

  it('spreads concurrent requests over the endpoints by least in-flight', async () => {
    const a = await fake([]);
    const b = await fake([]);
    const pool = new OpenAIPool([{ base_url: a.url, model: 'm' }, { base_url: b.url, model: 'm' }], { concurrency: 8 });
    const rs = await Promise.all(Array.from({ length: 40 }, () => pool.chat(req)));
    expect(a.requests.length + b.requests.length).toBe(40);
    expect(Math.abs(a.requests.length - b.requests.length)).toBeLessThanOrEqual(8);
    expect(new Set(rs.map((r) => r.endpoint))).toEqual(new Set([a.url, b.url]));
  });

  it('sends the model name and the API key from the named environment variable', async () => {
    const s = await fake([]);
    process.env.REPRISE_TEST_KEY = 'k1';
    const pool = new OpenAIPool([{ base_url: s.url, model: 'qwen', api_key_env: 'REPRISE_TEST_KEY' }]);
    await pool.chat({ ...req, n: 2, seed: 7, stop: ['\n'] });
    expect(s.requests[0].body).toMatchObject({ model: 'qwen', n: 2, seed: 7, stop: ['\n'] });
    expect(() => new OpenAIPool([{ base_url: s.url, model: 'q', api_key_env: 'REPRISE_UNSET_KEY' }])).toThrow(/REPRISE_UNSET_KEY is not set/);
  });
});

describe('helpers', () => {
  it('splits <think> reasoning out of the text, with or without the opening tag', () => {
    expect(splitThink('<think>a b</think> 42')).toEqual({ reasoning: 'a b', text: '42' });
    expect(splitThink('a b</think>42')).toEqual({ reasoning: 'a b', text: '42' });
    expect(splitThink('no tags')).toEqual({ text: 'no tags' });
  });

  it('adds /v1 to a bare host and keeps any other path', () => {
    expect(normalizeBaseUrl('http://h:8000')).toBe('http://h:8000/v1');
    expect(normalizeBaseUrl('http://h:8000/v1/')).toBe('http://h:8000/v1');
    expect(normalizeBaseUrl('https://x.org/openai/v1')).toBe('https://x.org/openai/v1');
  });
});
