// AdamW with global-norm gradient clipping, whose state is plain named tensors so checkpoints can hold it.

import * as tf from '@tensorflow/tfjs';
import { variableFrom, type Params } from '../model/gpt.js';
import { scalar } from '../model/kernels/scalars.js';
import { fusedOn } from '../model/kernels/fused.js';
import { runFused, type AdamWScalars } from '../model/kernels/webgpu-fused.js';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weight_decay: number;
  grad_clip: number;
  /** "sgd" is plain SGD with momentum beta1 (no second moment): the update is proportional to the gradient. */
  kind?: 'adamw' | 'sgd';
}

export class AdamW {
  step = 0;
  private readonly keys: string[];
  private readonly sizes: number[];
  /** Both moments of every parameter in one flat variable each, [n] in the order of `keys`. */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** 1 where weight decay applies (matrices, rank >= 2, as is usual for transformers), else 0; [n]. */
  private readonly decayMask: tf.Tensor1D;

  constructor(private readonly params: Params, private readonly cfg: AdamWConfig) {
    this.keys = Object.keys(params);
    this.sizes = this.keys.map((k) => params[k].size);
    const n = this.sizes.reduce((a, b) => a + b, 0);
    this.m = variableFrom(tf.zeros([n]), false);
    this.v = variableFrom(tf.zeros([n]), false);
    const mask = new Float32Array(n);
    let o = 0;
    for (const k of this.keys) {
      if (params[k].rank >= 2) mask.fill(1, o, o + params[k].size);
      o += params[k].size;
    }
    this.decayMask = tf.tensor1d(mask);
  }

  /** The parameters (or gradients) laid end to end: [n]. */
  private flat(ts: tf.Tensor[]): tf.Tensor1D {
    return tf.concat(ts.map((t) => t.reshape([-1]))) as tf.Tensor1D;
  }

  /**
   * Applies one update from gradients keyed by variable name (as tf.variableGrads returns them);
   * returns the gradients' global norm before clipping. A non-finite norm is returned without any update.
   * The update runs on flat vectors, a few kernels per step instead of a dozen per parameter (each kernel costs
   * host time on webgpu); elementwise it is the same arithmetic.
   */
  async apply(byVariable: Record<string, tf.Tensor>, lr: number): Promise<number> {
    this.step++;
    const { beta1, beta2, eps, weight_decay, grad_clip } = this.cfg;
    const missing = this.keys.filter((k) => !byVariable[this.params[k].name]);
    if (missing.length === this.keys.length) throw new Error('AdamW.apply: no gradient matches a parameter of this model');
    if (missing.length) throw new Error(`AdamW.apply: no gradient for ${missing.join(', ')} (every trainable parameter needs one)`);
    const g = tf.tidy(() => this.flat(this.keys.map((k) => byVariable[this.params[k].name])));
    // read asynchronously: webgpu in Node has no synchronous read
    const normT = tf.tidy(() => tf.sqrt(tf.sum(tf.square(g))));
    const norm = (await normT.data())[0];
    normT.dispose();
    if (!Number.isFinite(norm)) {
      g.dispose();
      return norm;
    }
    const scale = grad_clip > 0 && norm > grad_clip ? grad_clip / norm : 1;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    if (fusedOn() && this.cfg.kind !== 'sgd') {
      this.fusedUpdate(g, { lr, beta1, beta2, eps, bc1, bc2, scale, lrwd: weight_decay > 0 ? lr * weight_decay : 0 });
      g.dispose();
      return norm;
    }
    tf.tidy(() => {
      // each inline number would be a fresh tensor (a buffer upload on webgpu): make them once
      const [lrT, decayT, bc1T, bc2T, scaleT] = [lr, lr * weight_decay, bc1, bc2, scale].map((x) => tf.scalar(x));
      const [b1, b2, c1, c2, epsT] = [beta1, beta2, 1 - beta1, 1 - beta2, eps].map(scalar);
      const gs = scale === 1 ? g : g.mul(scaleT);
      const p = this.flat(this.keys.map((k) => this.params[k]));
      const decay = weight_decay > 0 ? p.mul(decayT).mul(this.decayMask) : scalar(0);
      let next: tf.Tensor;
      if (this.cfg.kind === 'sgd') {
        const m = beta1 > 0 ? this.m.mul(b1).add(gs) : gs;
        if (beta1 > 0) this.m.assign(m);
        next = p.sub(m.mul(lrT)).sub(decay);
      } else {
        const m = this.m.mul(b1).add(gs.mul(c1));
        const v = this.v.mul(b2).add(gs.square().mul(c2));
        this.m.assign(m);
        this.v.assign(v);
        const upd = m.div(bc1T).div(v.div(bc2T).sqrt().add(epsT)).mul(lrT);
        next = p.sub(upd).sub(decay);
      }
      const parts = tf.split(next, this.sizes);
      this.keys.forEach((k, i) => this.params[k].assign(parts[i].reshape(this.params[k].shape)));
    });
    g.dispose();
    return norm;
  }

  /** The same AdamW update on webgpu: three fused kernels (parameters, first and second moments) over the flat vectors. */
  private fusedUpdate(g: tf.Tensor1D, s: AdamWScalars): void {
    tf.tidy(() => {
      const p = runFused('RepriseAdamW', { p: this.flat(this.keys.map((k) => this.params[k])), g, m: this.m, v: this.v, mask: this.decayMask }, { ...s, which: 'p' });
      const m = runFused('RepriseAdamW', { g, m: this.m }, { ...s, which: 'm' });
      const v = runFused('RepriseAdamW', { g, v: this.v }, { ...s, which: 'v' });
      this.m.assign(m);
      this.v.assign(v);
      const parts = tf.split(p, this.sizes);
      this.keys.forEach((k, i) => this.params[k].assign(parts[i].reshape(this.params[k].shape)));
    });
  }

  /** False when any parameter holds a NaN or an infinity (x - x is 0 only for finite x). */
  async paramsFinite(): Promise<boolean> {
    const t = tf.tidy(() => {
      const p = this.flat(this.keys.map((k) => this.params[k]));
      return tf.sum(p.sub(p));
    });
    const v = (await t.data())[0];
    t.dispose();
    return Number.isFinite(v);
  }

  /** The moments per parameter, `m.<key>` and `v.<key>`: new tensors, for the caller to dispose. */
  tensors(): Record<string, tf.Tensor> {
    return tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      const [ms, vs] = [tf.split(this.m, this.sizes), tf.split(this.v, this.sizes)];
      this.keys.forEach((k, i) => {
        out[`m.${k}`] = ms[i].reshape(this.params[k].shape);
        out[`v.${k}`] = vs[i].reshape(this.params[k].shape);
      });
      return out;
    });
  }

  /** Restores the moments from `tensors()`'s names; a parameter missing there keeps its current moments. */
  load(tensors: Record<string, tf.Tensor>, step: number): void {
    tf.tidy(() => {
      for (const [name, flat] of [['m', this.m], ['v', this.v]] as const) {
        const cur = tf.split(flat, this.sizes);
        flat.assign(this.flat(this.keys.map((k, i) => tensors[`${name}.${k}`] ?? cur[i])));
      }
    });
    this.step = step;
  }

  dispose(): void {
    tf.dispose([this.m, this.v, this.decayMask]);
  }
}
