// The torch worker's client against real processes that fail: the real Python worker without torch (E_DEPS, then
// its exit), a process that never answers (the timeout kills it), one that dies (the rank from torchrun's summary).
// Slow because each Python start takes seconds on a loaded machine.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { launchOf, PROTOCOL_VERSION, TorchWorker, workerScript, Hello } from '../../src/train/torch-worker.js';
import type { RepriseError } from '../../src/util/errors.js';

const hasTorch = spawnSync('python3', [workerScript(), '--check'], { encoding: 'utf8' }).status === 0;

async function rejection(p: Promise<unknown>): Promise<RepriseError> {
  try {
    await p;
  } catch (e) {
    return e as RepriseError;
  }
  throw new Error('expected a rejection');
}

describe('the real worker without torch', () => {
  it.skipIf(hasTorch)('the serving worker answers its first request with E_DEPS and exits 3; the next request is E_WORKER', async () => {
    const w = TorchWorker.spawn(launchOf());
    const e = await rejection(w.request('hello', { protocol: PROTOCOL_VERSION }, Hello));
    expect(e.code).toBe('E_DEPS');
    expect(e.message).toMatch(/^torch worker, rank 0, hello: missing: torch \(ModuleNotFoundError/);
    await new Promise((r) => setTimeout(r, 300));
    const after = await rejection(w.request('hello', {}, Hello));
    expect(after.code).toBe('E_WORKER');
    expect(after.message).toMatch(/the torch worker \(python3 -u .*reprise_worker\.py\) exited with code 3/);
  });
});

describe('a worker that hangs or dies is an error naming the rank, never a number', () => {
  it('no answer within the timeout: killed, E_WORKER with its last stderr lines', async () => {
    const w = TorchWorker.spawn({ command: 'python3', args: ['-c', 'import sys,time; print("[rank1]: waiting for rank 0", file=sys.stderr, flush=True); time.sleep(60)'], world: 1 }, { timeoutS: 4 });
    const e = await rejection(w.request('hello', {}, Hello));
    expect(e.code).toBe('E_WORKER');
    expect(e.message).toMatch(/^the torch worker gave no answer to hello within 4 s .*killed\. Last stderr lines:\n {2}\[rank1\]: waiting for rank 0/s);
  });

  it('an exit names the failed rank from torchrun\'s summary; out of memory in the log is E_OOM', async () => {
    const summary = 'torch.distributed.elastic.multiprocessing.errors.ChildFailedError:\\nFailures:\\n  rank      : 1 (local_rank: 1)\\n  exitcode  : -9';
    const w = TorchWorker.spawn({ command: 'python3', args: ['-c', `import sys; print("${summary}", file=sys.stderr); sys.exit(1)`], world: 2 });
    const e = await rejection(w.request('step', {}, Hello));
    expect(e.code).toBe('E_WORKER');
    expect(e.message).toMatch(/exited with code 1; rank 1 failed; its last stderr lines:/);
    const oom = TorchWorker.spawn({ command: 'python3', args: ['-c', 'import sys; print("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", file=sys.stderr); sys.exit(1)'], world: 1 });
    expect((await rejection(oom.request('step', {}, Hello))).code).toBe('E_OOM');
  });

});
