// Rotary position embeddings and their scaling variants, computed as transformers' modeling_rope_utils does
// (float32 where it works in float32), so the cos/sin tables match its to the last bit or two.

import { InputError } from '../util/errors.js';

export const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn'] as const;
export type RopeType = (typeof ROPE_TYPES)[number];

/** The standardised rope parameters (transformers 5's `rope_parameters`, after `standardize_rope_params`). */
export interface RopeSpec {
  rope_type: RopeType;
  rope_theta: number;
  /** Rotated dimensions per head (head_dim × partial_rotary_factor). */
  dim: number;
  max_position_embeddings: number;
  factor?: number;
  original_max_position_embeddings?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  attention_factor?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  truncate?: boolean;
}

const f = Math.fround;

function baseInvFreq(base: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f(1 / f(Math.pow(base, f((2 * i) / dim))));
  return out;
}

function need(r: RopeSpec, key: keyof RopeSpec): number {
  const v = r[key];
  if (typeof v !== 'number') throw new InputError(`rope type "${r.rope_type}" needs ${key}`, { file: 'config.json', field: `rope_parameters.${key}` });
  return v;
}

function yarn(r: RopeSpec): { invFreq: Float32Array; scale: number } {
  const { dim, rope_theta: base } = r;
  const orig = need(r, 'original_max_position_embeddings');
  const factor = r.factor ?? r.max_position_embeddings / orig;
  const mscale = (s: number, m = 1) => (s <= 1 ? 1 : 0.1 * m * Math.log(s) + 1);
  let scale = r.attention_factor;
  if (scale === undefined) scale = r.mscale && r.mscale_all_dim ? mscale(factor, r.mscale) / mscale(factor, r.mscale_all_dim) : mscale(factor);
  const betaFast = r.beta_fast || 32;
  const betaSlow = r.beta_slow || 1;
  const corrDim = (rot: number) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(base));
  let low = corrDim(betaFast);
  let high = corrDim(betaSlow);
  if (r.truncate !== false) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, dim - 1);
  if (low === high) high += 0.001;
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const pos = f(Math.pow(base, f((2 * i) / dim)));
    const extra = f(1 / pos);
    const inter = f(1 / f(factor * pos));
    const ramp = f(Math.min(1, Math.max(0, f(f(i - low) / f(high - low)))));
    const keep = f(1 - ramp);
    out[i] = f(f(inter * f(1 - keep)) + f(extra * keep));
  }
  return { invFreq: out, scale };
}

function llama3(r: RopeSpec): Float32Array {
  const inv = baseInvFreq(r.rope_theta, r.dim);
  const factor = need(r, 'factor');
  const lowF = need(r, 'low_freq_factor');
  const highF = need(r, 'high_freq_factor');
  const old = need(r, 'original_max_position_embeddings');
  const lowWave = old / lowF;
  const highWave = old / highF;
  return inv.map((x) => {
    const wave = f((2 * Math.PI) / x);
    const scaled = wave > lowWave ? f(x / factor) : x;
    if (wave < highWave || wave > lowWave) return scaled;
    const smooth = f((old / wave - lowF) / (highF - lowF));
    return f(f(f(1 - smooth) * f(scaled / factor)) + f(smooth * scaled));
  });
}

/** Inverse frequencies [dim/2] and the cos/sin scale for a forward pass whose largest position is seqLen − 1. */
export function ropeFrequencies(r: RopeSpec, seqLen: number): { invFreq: Float32Array; scale: number } {
  switch (r.rope_type) {
    case 'default':
      return { invFreq: baseInvFreq(r.rope_theta, r.dim), scale: 1 };
    case 'linear': {
      const factor = need(r, 'factor');
      return { invFreq: baseInvFreq(r.rope_theta, r.dim).map((x) => f(x / factor)), scale: 1 };
    }
    case 'dynamic': {
      // NTK-aware base, grown with the sequence once it passes max_position_embeddings (transformers computes
      // this in float32 from the largest position id of the call)
      const factor = need(r, 'factor');
      const max = r.max_position_embeddings;
      if (seqLen <= max) return { invFreq: baseInvFreq(r.rope_theta, r.dim), scale: 1 };
      const grow = f(f(f(f(factor * seqLen) / max) - (factor - 1)));
      const base = f(r.rope_theta * f(Math.pow(grow, f(r.dim / (r.dim - 2)))));
      return { invFreq: baseInvFreq(base, r.dim), scale: 1 };
    }
    case 'llama3':
      return { invFreq: llama3(r), scale: 1 };
    case 'yarn':
      return yarn(r);
  }
}

/** cos and sin tables [N, dim] (each half repeated, as rotate_half expects) for the given positions. */
export function ropeTables(r: RopeSpec, positions: Int32Array): { cos: Float32Array; sin: Float32Array } {
  let maxPos = 0;
  for (const p of positions) maxPos = Math.max(maxPos, p);
  const { invFreq, scale } = ropeFrequencies(r, maxPos + 1);
  const half = r.dim / 2;
  const cos = new Float32Array(positions.length * r.dim);
  const sin = new Float32Array(positions.length * r.dim);
  positions.forEach((p, n) => {
    for (let i = 0; i < half; i++) {
      const a = f(invFreq[i] * p);
      const c = f(f(Math.cos(a)) * scale);
      const s = f(f(Math.sin(a)) * scale);
      cos[n * r.dim + i] = cos[n * r.dim + half + i] = c;
      sin[n * r.dim + i] = sin[n * r.dim + half + i] = s;
    }
  });
  return { cos, sin };
}
