// Chooses and initialises the tfjs backend (wasm by default, cpu as reference, webgpu through Dawn), with the
// kernels wasm lacks. `blas` is wasm with its matmuls done by the machine's OpenBLAS (kernels/wasm-blas.ts): several
// times faster, deterministic for a given thread count (REPRISE_BLAS_THREADS, default all cores) but not bit-equal to
// wasm's XNNPACK; `wasm` stays XNNPACK-only. `auto` takes webgpu when Dawn finds an adapter, else wasm, and says which and why.
// REPRISE_WEBGPU=opengl selects Dawn's OpenGL backend (EGL surfaceless, compatibility adapter): on a CPU machine
// that is llvmpipe, slow but correct, so CI can run the webgpu code path; =vulkan forces Vulkan.
// REPRISE_WEBGPU_TOGGLES=disable_robustness,skip_validation passes Dawn features (less host time per dispatch).

import * as tf from '@tensorflow/tfjs';
import { availableParallelism } from 'node:os';
import { RepriseError } from '../util/errors.js';
import { activeBlas, loadBlas, useBlasMatMul } from './kernels/wasm-blas.js';
import { registerWasmSlice } from './kernels/wasm-slice.js';

export const BACKENDS = ['auto', 'wasm', 'blas', 'cpu', 'webgpu'] as const;
/** What a user asks for; initBackend resolves `auto` to one of the others. */
export type BackendName = (typeof BACKENDS)[number];
export type ResolvedBackend = Exclude<BackendName, 'auto'>;

let kernelsRegistered = false;
let webgpuAdapter: Promise<{ adapter: unknown } | string> | undefined;
let announced = false;

/**
 * Finds a WebGPU adapter once per process and installs tfjs-backend-webgpu over it (the package looks for
 * navigator.gpu when imported and asks it for an adapter at setBackend): the adapter, or why there is none.
 */
export function findWebGpuAdapter(): Promise<{ adapter: unknown } | string> {
  webgpuAdapter ??= (async () => {
    const mode = process.env.REPRISE_WEBGPU ?? '';
    if (!['', 'opengl', 'vulkan'].includes(mode)) return `REPRISE_WEBGPU must be opengl or vulkan, got "${mode}"`;
    type Gpu = { requestAdapter: (o: object) => Promise<unknown>; getPreferredCanvasFormat?: () => string; wgslLanguageFeatures?: unknown };
    let mod: { create: (o: string[]) => Gpu; globals: object };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      return `the optional package "webgpu" could not be loaded (${(e as Error).message.split('\n')[0]})`;
    }
    if (mode === 'opengl') process.env.EGL_PLATFORM ??= 'surfaceless';
    const toggles = process.env.REPRISE_WEBGPU_TOGGLES;
    const gpu = mod.create([...(mode ? [`backend=${mode}`] : []), ...(toggles ? [`enable-dawn-features=${toggles}`] : [])]);
    const adapter = await gpu.requestAdapter(mode === 'opengl' ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' });
    if (!adapter) return `Dawn found no WebGPU adapter${mode ? ` (backend=${mode})` : ''}`;
    Object.assign(globalThis, mod.globals);
    const facade = { requestAdapter: async () => adapter, getPreferredCanvasFormat: () => gpu.getPreferredCanvasFormat?.() ?? 'bgra8unorm', wgslLanguageFeatures: gpu.wgslLanguageFeatures };
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: facade }, configurable: true });
    try {
      await import('@tensorflow/tfjs-backend-webgpu');
    } catch (e) {
      return `the optional package "@tensorflow/tfjs-backend-webgpu" could not be loaded (${(e as Error).message.split('\n')[0]})`;
    }
    return { adapter };
  })();
  return webgpuAdapter;
}

/** Resolves `auto`: webgpu when an adapter is found, else wasm; `why` is one line for the log. */
export async function resolveBackend(name: BackendName): Promise<{ name: ResolvedBackend; why: string }> {
  if (name !== 'auto') return { name, why: 'asked for' };
  const found = await findWebGpuAdapter();
  if (typeof found === 'string') return { name: 'wasm', why: `auto: ${found}` };
  return { name: 'webgpu', why: `auto: a WebGPU adapter was found${process.env.REPRISE_WEBGPU ? ` (REPRISE_WEBGPU=${process.env.REPRISE_WEBGPU})` : ''}` };
}

export async function initBackend(requested: BackendName): Promise<typeof tf> {
  const { name, why } = await resolveBackend(requested);
  if (requested === 'auto' && !announced) {
    announced = true;
    process.stderr.write(`backend: ${name} (${why})\n`);
  }
  const tfName = name === 'blas' ? 'wasm' : name;
  if (name === 'wasm' || name === 'blas') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
    useBlasMatMul(name === 'blas' ? blasOrThrow() : null);
  } else if (name === 'webgpu') {
    await installWebGpu();
  }
  if (tf.getBackend() === tfName) return tf;
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new RepriseError('E_BACKEND', `the tfjs backend "${name}" could not start`, 'use --backend wasm (or cpu, the pure-JS reference)');
  await tf.ready();
  return tf;
}

/** The backend in use as our name, with the BLAS library and thread count where it is `blas`. */
export function backendInfo(): { name: ResolvedBackend; blas?: string; threads?: number } {
  const blas = tf.getBackend() === 'wasm' ? activeBlas() : null;
  if (blas) return { name: 'blas', blas: blas.library, threads: blas.threads };
  return { name: tf.getBackend() as ResolvedBackend };
}

function blasOrThrow() {
  const threads = Number(process.env.REPRISE_BLAS_THREADS ?? availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new RepriseError('E_BACKEND', `REPRISE_BLAS_THREADS must be a positive integer, got "${process.env.REPRISE_BLAS_THREADS}"`, 'unset it to use every core');
  const blas = loadBlas(threads);
  if (typeof blas === 'string') throw new RepriseError('E_BACKEND', `backend blas: ${blas}`, 'install OpenBLAS (Debian: apt-get install libopenblas0-openmp), or use --backend wasm');
  return blas;
}

async function installWebGpu(): Promise<void> {
  const found = await findWebGpuAdapter();
  if (typeof found === 'string') throw new RepriseError('E_BACKEND', `backend webgpu: ${found}`, 'use --backend wasm, or --backend auto to fall back to it');
}

/** UnsortedSegmentSum (the gradient of tf.gather) is missing on wasm; this works on the wasm heap directly. Slice is
 * replaced by one that reads the heap in place. */
function registerWasmKernels(): void {
  if (kernelsRegistered) return;
  kernelsRegistered = true;
  registerWasmSlice();
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
