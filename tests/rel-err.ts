// The two error metrics the numeric tests compare results with, against a reference b (same length).
import { expect } from 'vitest';

/** max |a − b| / max |b| (the denominator at least `floor`: the loss fixture's guard for an all-zero reference). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / Math.max(m, floor);
}

/** ‖a − b‖₂ / ‖b‖₂. */
export function l2RelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
