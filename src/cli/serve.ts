// `reprise serve`: the leaderboard over HTTP and, with --model, the OpenAI-compatible API for local models;
// bound to 127.0.0.1 unless told otherwise.

import { startServer, type RunningServer } from '../serve/server.js';
import { loadReports } from '../serve/store.js';
import type { OpenAIRoutesOptions } from '../serve/openai-api.js';
import { backendFlag } from '../config/recipe.js';
import { InputError } from '../util/errors.js';

export interface ServeOptions {
  reports: string;
  host: string;
  port: string;
  model?: string[];
  apiKeyEnv?: string;
  backend?: string;
  maxBodyMib?: string;
}

export async function serveCommand(opts: ServeOptions): Promise<RunningServer> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be an integer in 0..65535, got "${opts.port}"`, { field: 'port' });
  const backendName = backendFlag(opts.backend) ?? 'wasm';
  const maxBodyBytes = opts.maxBodyMib === undefined ? undefined : Number(opts.maxBodyMib) * 2 ** 20;
  if (maxBodyBytes !== undefined && !(maxBodyBytes >= 1)) throw new InputError(`--max-body-mib must be a positive number, got "${opts.maxBodyMib}"`, { field: 'max-body-mib' });
  let openai: OpenAIRoutesOptions | undefined;
  if (opts.model?.length) {
    // every model loads before the port opens: a model that cannot load stops the start, naming it
    process.stderr.write(`loading ${opts.model.length} model(s)…\n`);
    const { LocalChatBackend } = await import('../inference/local-chat.js');
    const backend = await LocalChatBackend.load(opts.model.map((p) => ({ path: p })), backendName);
    openai = { apiKey: process.env[opts.apiKeyEnv ?? 'REPRISE_API_KEY'] || undefined, backend: async () => backend, maxBodyBytes };
  }
  for (const w of loadReports(opts.reports).warnings) process.stderr.write(`warning: ${w}\n`);
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
  return s;
}
