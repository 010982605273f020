// Seeded, serialisable random numbers (xoshiro128**): every random choice in Reprise goes through one of these.

import { createHash } from 'node:crypto';

export interface RngState {
  s: [number, number, number, number];
}

export class Rng {
  private s: Uint32Array;

  constructor(seed: number | string | RngState) {
    this.s = new Uint32Array(4);
    if (typeof seed === 'object') {
      this.s.set(seed.s);
      return;
    }
    const h = createHash('sha256').update(String(seed)).digest();
    for (let i = 0; i < 4; i++) this.s[i] = h.readUInt32LE(i * 4);
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  /** An independent stream derived from this generator's seed material and a label. */
  fork(label: string): Rng {
    return new Rng(`${Array.from(this.s).join(',')}/${label}`);
  }

  state(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]] };
  }

  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 bits. */
  next(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }

  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A 31-bit integer seed for tfjs dropout, derived from a run seed and a step (a resumed run repeats its masks). */
export function dropoutSeed(seed: number, step: number): number {
  return new Rng(`dropout/${seed}/${step}`).nextU32() >>> 1;
}
