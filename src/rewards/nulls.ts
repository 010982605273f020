// Counts of rewards that could not judge, by reward and reason; the first of each reason is logged once.

import { log } from '../util/progress.js';

/** A reward's verdict: a score, or why there is none (becomes null for the caller, and is counted). */
export type Scored = number | { skip: string };

const counts = new Map<string, Map<string, number>>();

export function settle(name: string, s: Scored): number | null {
  if (typeof s === 'number') return s;
  let byReason = counts.get(name);
  if (!byReason) counts.set(name, (byReason = new Map()));
  const n = (byReason.get(s.skip) ?? 0) + 1;
  byReason.set(s.skip, n);
  if (n === 1) log(`[rewards] ${name} returned null: ${s.skip} (counted; logged once per reason)`);
  return null;
}

/** Nulls so far: { reward: { reason: count } }. */
export function nullCounts(): Record<string, Record<string, number>> {
  return Object.fromEntries([...counts].map(([k, v]) => [k, Object.fromEntries(v)]));
}

export function resetNullCounts(): void {
  counts.clear();
}
