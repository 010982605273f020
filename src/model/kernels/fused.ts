// Whether the fused WGSL kernels (registered for webgpu only) replace the unfused tfjs ops on the hot paths.
// On by default on webgpu; REPRISE_FUSED=0 turns them off (the bench measures both in one process via setFused).

import * as tf from '@tensorflow/tfjs';

let forced: boolean | undefined;

/** True when the current backend is webgpu and the fused kernels are not switched off. */
export function fusedOn(): boolean {
  if (tf.getBackend() !== 'webgpu') return false;
  return forced ?? process.env.REPRISE_FUSED !== '0';
}

/** Overrides REPRISE_FUSED for this process (undefined: back to the environment). */
export function setFused(on: boolean | undefined): void {
  forced = on;
}
