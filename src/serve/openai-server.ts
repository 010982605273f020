// Starts the OpenAI-compatible API alone over HTTP (the eval tests use it); binds 127.0.0.1 unless told
// otherwise, and port 0 picks a free port.

import { Hono } from 'hono';
import { openaiRoutes, type OpenAIRoutesOptions } from './openai-api.js';
import { listen } from './server.js';

export interface ApiServer {
  /** Base URL for OpenAI clients, ending in /v1. */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

export async function startOpenAIServer(opts: OpenAIRoutesOptions & { host?: string; port?: number }): Promise<ApiServer> {
  const app = new Hono();
  app.route('/v1', openaiRoutes(opts));
  const s = await listen(app, opts.host ?? '127.0.0.1', opts.port ?? 0);
  return { baseUrl: `${s.url}v1`, port: s.port, close: s.close };
}
