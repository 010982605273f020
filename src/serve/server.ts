// Starts the leaderboard (and, given local models, the OpenAI-compatible API) over HTTP with
// @hono/node-server; binds 127.0.0.1 unless told otherwise, and port 0 picks a free port.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { createApp } from './app.js';
import type { OpenAIRoutesOptions } from './openai-api.js';

export interface ServerOptions {
  reportsDir: string;
  host?: string;
  port?: number;
  openai?: OpenAIRoutesOptions;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startServer({ reportsDir, host = '127.0.0.1', port = 0, openai }: ServerOptions): Promise<RunningServer> {
  return listen(createApp({ reportsDir, openai }), host, port);
}

/** Serves a hono app until close(); resolves once the port is bound. */
export function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: Error): void => reject(err);
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      server.off('error', onError);
      const urlHost = info.address.includes(':') ? `[${info.address}]` : info.address;
      resolvePromise({
        url: `http://${urlHost}:${info.port}/`,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    }) as Server;
    server.once('error', onError);
  });
}
