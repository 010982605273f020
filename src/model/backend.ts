// Chooses and initialises the tfjs backend (wasm by default, cpu as reference), with the kernels wasm lacks.

import * as tf from '@tensorflow/tfjs';
import { RepriseError } from '../util/errors.js';

export const BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

let kernelsRegistered = false;

export async function initBackend(name: BackendName): Promise<typeof tf> {
  if (tf.getBackend() === name) return tf;
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
  } else if (name === 'webgpu') {
    const spec = 'webgpu';
    const { create, globals } = (await import(spec)) as { create: (o: string[]) => unknown; globals: object };
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
    const backendSpec = '@tensorflow/tfjs-backend-webgpu';
    await import(backendSpec);
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new RepriseError('E_BACKEND', `the tfjs backend "${name}" could not start`, 'use backend: cpu, the pure-JS fallback');
  await tf.ready();
  return tf;
}

/** UnsortedSegmentSum (the gradient of tf.gather) is missing on wasm; this works on the wasm heap directly. */
function registerWasmKernels(): void {
  if (kernelsRegistered) return;
  kernelsRegistered = true;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const b = backend as any;
      const n = segmentIds.shape.reduce((a, c) => a * c, 1);
      const size = x.shape.reduce((a, c) => a * c, 1);
      const inner = size / n;
      const out = b.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
      const xv = b.typedArrayFromHeap(x);
      const ids = b.typedArrayFromHeap(segmentIds);
      const ov = b.typedArrayFromHeap(out);
      ov.fill(0);
      for (let i = 0; i < n; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue;
        for (let j = 0, o = s * inner, xi = i * inner; j < inner; j++) ov[o + j] += xv[xi + j];
      }
      return out;
    },
  });
}
