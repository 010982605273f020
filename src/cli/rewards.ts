// `reprise rewards serve`: the reward registry over HTTP for TRL/open-r1 reward functions (reprise_rewards.py);
// bound to 127.0.0.1 unless told otherwise.

import { startRewardsServer } from '../serve/rewards-api.js';
import { InputError } from '../util/errors.js';

export interface RewardsServeOptions {
  host: string;
  port: string;
  maxBodyMib: string;
}

export async function rewardsServeCommand(opts: RewardsServeOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`--port must be an integer in 0..65535, got "${opts.port}"`, { field: 'port' });
  const mb = Number(opts.maxBodyMib);
  if (!(mb > 0)) throw new InputError(`--max-body-mib must be a positive number, got "${opts.maxBodyMib}"`, { field: 'max-body-mib' });
  if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host)) {
    process.stderr.write(`warning: binding ${opts.host}: the server has no authentication, and its code rewards run the programs they are sent in the sandbox\n`);
  }
  const s = await startRewardsServer({ host: opts.host, port, maxBodyBytes: Math.floor(mb * 2 ** 20) });
  process.stdout.write(`Reprise rewards: ${s.url} (POST /score, GET /rewards)\n`);
  const stop = () => s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
