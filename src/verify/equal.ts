// Answer equivalence, gold first and asymmetric as in Math-Verify: string match, then numeric (relative
// tolerance only, so 1/2004! and 1/2006! differ), then symbolic, then sets, tuples, intervals, relations, matrices.
// Every check is bounded by a deadline; one that runs out is "unknown" and counted, never a hang.

import { equalAnswers, type Ctx } from './compare.js';
import { cleanAnswer } from './latex.js';
import { Budget, Undecided } from './numeric.js';
import { parseAnswer, type Answer } from './parse.js';

export type Verdict = 'equal' | 'unequal' | 'unknown' | 'gold_unparsed';

export interface Judgement {
  verdict: Verdict;
  /** The test that decided: string, numeric, symbolic or text; for "unknown", why. */
  via: string;
  ms: number;
}

export interface JudgeOptions {
  relTol?: number;
  /** Wall-clock limit for one check, in milliseconds. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 2000;

/** Checks that ended "unknown" since the process started (or the last reset), by cause. */
export const verifyStats = { checks: 0, unknown: 0, timeouts: 0 };

export function resetVerifyStats(): void {
  verifyStats.checks = verifyStats.unknown = verifyStats.timeouts = 0;
}

const NUM = /^[-+]?(?:\d+\.?\d*|\.\d+)$/;
const goldCache = new Map<string, Answer | null>();

/** The parsed gold, cached: the trainer asks about the same gold for every completion of a prompt. */
function parseGold(gold: string): Answer | null {
  let g = goldCache.get(gold);
  if (g === undefined) {
    g = parseAnswer(gold);
    if (goldCache.size > 5000) goldCache.clear();
    goldCache.set(gold, g);
  }
  return g;
}

export function judge(gold: string, pred: string | null, opts: JudgeOptions = {}): Judgement {
  const t0 = performance.now();
  const done = (verdict: Verdict, via: string): Judgement => {
    verifyStats.checks++;
    if (verdict === 'unknown') {
      verifyStats.unknown++;
      if (via === 'timeout') verifyStats.timeouts++;
    }
    return { verdict, via, ms: performance.now() - t0 };
  };
  const relTol = opts.relTol ?? 1e-9;
  const g0 = gold.trim();
  const p0 = pred?.trim() ?? null;
  if (p0 !== null && NUM.test(g0) && NUM.test(p0)) {
    const a = Number(g0);
    const b = Number(p0);
    return done(a === b || Math.abs(a - b) <= relTol * Math.max(Math.abs(a), Math.abs(b)) ? 'equal' : 'unequal', 'numeric');
  }
  const g = parseGold(gold);
  if (g === null) return done('gold_unparsed', 'gold');
  if (p0 === null || p0 === '') return done('unequal', 'no_answer');
  if (cleanAnswer(gold).s === cleanAnswer(p0).s) return done('equal', 'string');
  const p = parseAnswer(p0);
  if (p === null) return done('unequal', 'pred_unparsed');
  const ctx: Ctx = { relTol, budget: new Budget(t0 + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)), via: 'string' };
  try {
    return done(equalAnswers(g, p, ctx) ? 'equal' : 'unequal', ctx.via);
  } catch (e) {
    if (e instanceof Undecided) return done('unknown', e.why);
    throw e;
  }
}

/**
 * true/false for the prediction against the gold; null when the gold cannot be parsed. An undecided check
 * (timeout, undefined everywhere) is false here and counted in verifyStats; use judge() to see it.
 */
export function isEquivalent(gold: string, pred: string | null, relTol = 1e-9): boolean | null {
  const j = judge(gold, pred, { relTol });
  return j.verdict === 'gold_unparsed' ? null : j.verdict === 'equal';
}

/** Parses a plain number (thousands commas allowed); null for anything else. */
export function parseNumber(s: string): number | null {
  const t = cleanAnswer(s).s.replace(/(?<=\d),(?=\d{3}\b)/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}
