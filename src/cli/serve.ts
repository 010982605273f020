// `reprise serve`: the leaderboard over HTTP and, with --model, the OpenAI-compatible API for local models;
// bound to 127.0.0.1 unless told otherwise.

import { startServer } from '../serve/server.js';
import type { OpenAIRoutesOptions } from '../serve/openai-api.js';
import { InputError } from '../util/errors.js';

export interface ServeOptions {
  reports: string;
  host: string;
  port: string;
  model?: string[];
  apiKeyEnv?: string;
  backend?: string;
}

export async function serveCommand(opts: ServeOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be an integer in 0..65535, got "${opts.port}"`, { field: 'port' });
  if (opts.backend && !['wasm', 'cpu'].includes(opts.backend)) throw new InputError(`--backend must be wasm or cpu, got "${opts.backend}"`, { field: 'backend' });
  // the models (and tfjs) load on the first API request, so the leaderboard starts at once
  const openai: OpenAIRoutesOptions | undefined = opts.model?.length
    ? {
        apiKey: process.env[opts.apiKeyEnv ?? 'REPRISE_API_KEY'] || undefined,
        backend: async () => (await import('../inference/local-chat.js')).LocalChatBackend.load(opts.model!.map((p) => ({ path: p })), (opts.backend ?? 'wasm') as 'wasm' | 'cpu'),
      }
    : undefined;
  const start = (p: number) => startServer({ reportsDir: opts.reports, host: opts.host, port: p, openai });
  const s = await start(port).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    process.stderr.write(`port ${port} is in use; picking a free one\n`);
    return start(0);
  });
  process.stdout.write(`Reprise leaderboard: ${s.url}\n`);
  if (openai) process.stdout.write(`OpenAI-compatible API: ${s.url}v1 (models: ${opts.model!.join(', ')})\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
