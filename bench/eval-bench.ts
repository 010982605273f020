// The eval harness's own overhead: samples per second against a local endpoint that answers at once (so the
// figure is request + scoring + append cost, no model), at concurrency 1, 16 and 128; and memory over 100,000
// samples, which must stay flat because samples stream to disk and only per-problem rows stay in memory.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvalSpec, type LoadedSpec } from '../src/config/eval-spec.js';
import type { BenchProblem } from '../src/data/bench-data.js';
import { runEval } from '../src/eval/engine.js';
import { endpointSource } from '../src/eval/source.js';

function instantServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const k = /"content":"(\d+)\+/.exec(body)?.[1] ?? '0';
      const text = Number(k) % 2 ? 'no idea' : `The answer is \\boxed{${2 * Number(k)}}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"choices":[{"index":0,"message":{"role":"assistant","content":${JSON.stringify(text)}},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":9}}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((d) => (server.closeAllConnections(), server.close(() => d()))) })));
}

function spec(n: number): LoadedSpec {
  const s = EvalSpec.parse({
    name: 'bench',
    version: 1,
    dataset: { split: 'test', local: 'bench/test', fields: { problem: 'q', answer: 'a' } },
    prompt: { user: '{problem}' },
    sampling: { temperature: 0.6, top_p: 0.95, max_tokens: 16, n },
    metrics: { pass_k: [1], bootstrap_resamples: 200 },
  });
  return { spec: s, id: 'bench/default', files: [], hash: `bench-${n}` };
}

const problems = (count: number): BenchProblem[] => Array.from({ length: count }, (_, k) => ({ id: `p${k}`, messages: [{ role: 'user', content: `${k}+${k}` }], answer: String(2 * k), raw: {} }));

async function timed(url: string, concurrency: number, nProblems: number, n: number, onTick?: () => void) {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-eval-bench-'));
  const ps = problems(nProblems);
  const source = endpointSource([{ base_url: url, model: 'instant' }], { concurrency });
  const timer = onTick ? setInterval(onTick, 100) : undefined;
  const t0 = performance.now();
  try {
    const r = await runEval({ spec: spec(n), problems: ps, data: { file: 'synthetic', sha256: 'synthetic' }, source, outDir: dir, concurrency });
    if (Math.abs(r.metrics[`avg@${n}`].value - 0.5) > 1e-9) throw new Error(`bench eval scored ${r.metrics[`avg@${n}`].value}, expected 0.5`);
    return { per_s: (nProblems * n) / ((performance.now() - t0) / 1000) };
  } finally {
    if (timer) clearInterval(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEvalHarness(): Promise<Record<string, number>> {
  const quiet = process.env.REPRISE_QUIET;
  process.env.REPRISE_QUIET = '1';
  const srv = await instantServer();
  const out: Record<string, number> = {};
  try {
    for (const c of [1, 16, 128]) out[`samples_per_s_c${c}`] = (await timed(srv.url, c, 500, 4)).per_s;
    // 100,000 samples: heap and RSS sampled every 100 ms; flat means the late samples cost no more memory than the early ones
    const heap: number[] = [];
    let peakRss = 0;
    const tick = () => {
      const m = process.memoryUsage();
      heap.push(m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    };
    global.gc?.();
    const r = await timed(srv.url, 64, 12_500, 8, tick);
    const q = (f: number) => heap.slice(Math.floor(f * heap.length), Math.floor((f + 0.1) * heap.length)).reduce((a, b) => Math.max(a, b), 0) / 2 ** 20;
    out.samples_100k_per_s = r.per_s;
    out.peak_rss_mib_100k = peakRss / 2 ** 20;
    out.heap_max_mib_first_tenth = q(0.1);
    out.heap_max_mib_last_tenth = q(0.9);
  } finally {
    await srv.close();
    if (quiet === undefined) delete process.env.REPRISE_QUIET;
    else process.env.REPRISE_QUIET = quiet;
  }
  return out;
}
