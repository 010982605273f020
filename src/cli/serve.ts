// `reprise serve`: the leaderboard over HTTP, bound to 127.0.0.1 unless told otherwise.

import { startServer } from '../serve/server.js';
import { InputError } from '../util/errors.js';

export async function serveCommand(opts: { reports: string; host: string; port: string }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be an integer in 0..65535, got "${opts.port}"`, { field: 'port' });
  const s = await startServer({ reportsDir: opts.reports, host: opts.host, port }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    process.stderr.write(`port ${port} is in use; picking a free one\n`);
    return startServer({ reportsDir: opts.reports, host: opts.host, port: 0 });
  });
  process.stdout.write(`Reprise leaderboard: ${s.url}\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
