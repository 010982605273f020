// A torch training stage's key follows its accelerate config's contents: the same file edited (another number of
// processes, FSDP) is another stage, never the cached one trained under the old settings.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finishStage, openStage, placementInputs } from '../../src/pipeline/stages.js';

describe('the stage key of a training stage with an accelerate config', () => {
  it('changes when the config file changes, and not otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-place-key-'));
    const cfgFile = join(dir, 'accelerate.yaml');
    const sft = { backend: 'torch', accelerate_config: cfgFile, steps: 2 };
    const open = async () => {
      const st = await openStage(join(dir, 'work'), 'sft', 'sft', { seed: 1, sft, ...placementInputs(sft) }, false);
      st.lock.release();
      return st;
    };
    writeFileSync(cfgFile, 'distributed_type: MULTI_GPU\nnum_processes: 2\n');
    const first = await open();
    finishStage(first, 0, {});
    expect((await open()).done).toBeDefined();
    writeFileSync(cfgFile, 'distributed_type: FSDP\nnum_processes: 2\nfsdp_config: { fsdp_version: 2 }\n');
    const edited = await open();
    expect(edited.key).not.toBe(first.key);
    expect(edited.done).toBeUndefined();
    expect(placementInputs({})).toEqual({});
  });
});
