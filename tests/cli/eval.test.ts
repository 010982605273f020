import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalCommand } from '../../src/cli/eval.js';

process.env.REPRISE_QUIET = '1';
const home = process.cwd();
// an OpenAI-compatible endpoint that answers every request after 200 ms
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        const content = '<think>x</think><answer>42</answer>';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1 } }));
      }, 200),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  process.chdir(home);
  await new Promise((r) => server.close(r));
});

describe('reprise eval', () => {
  it('finds the eval spec and the recipe that makes its data relative to the package, not the working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-eval-cwd-'));
    process.chdir(dir);
    const r = await evalCommand({ bench: 'tiny-r1', endpoint: [url], model: 'fake', limit: '2', out: 'out', dataDir: 'data', json: true });
    expect(r.counts.problems).toBe(2);
    expect(existsSync(join(dir, 'data/tiny-r1/test.jsonl'))).toBe(true);
    expect(existsSync(join(dir, 'out/results.json'))).toBe(true);
  }, 60_000);

  it('refuses a second eval into the same --out while one runs, naming the holder; the first finishes whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-eval-lock-'));
    const flags = { bench: 'tiny-r1', endpoint: [url], model: 'fake', limit: '4', out: join(dir, 'out'), dataDir: join(dir, 'data'), json: true };
    let settled = false;
    const first = evalCommand(flags).finally(() => (settled = true));
    while (!existsSync(join(dir, 'out.lock')) && !settled) await new Promise((r) => setTimeout(r, 5));
    expect(settled, 'the first eval ended without ever holding a lock on its output').toBe(false);
    process.env.REPRISE_LOCK_WAIT_S = '0';
    const second = await evalCommand(flags).catch((e: unknown) => e);
    delete process.env.REPRISE_LOCK_WAIT_S;
    expect((second as Error).message).toMatch(new RegExp(`^eval output .*out is in use by pid ${process.pid} `));
    expect((await first).counts.problems).toBe(4);
    expect(readFileSync(join(dir, 'out/samples.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4 * 8);
    expect(existsSync(join(dir, 'out.lock'))).toBe(false);
  }, 60_000);
});
