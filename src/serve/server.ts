// Starts the leaderboard over HTTP with @hono/node-server; port 0 picks a free port.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';

export interface ServerOptions {
  reportsDir: string;
  host?: string;
  port?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startServer({ reportsDir, host = '127.0.0.1', port = 0 }: ServerOptions): Promise<RunningServer> {
  const app = createApp({ reportsDir });
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
