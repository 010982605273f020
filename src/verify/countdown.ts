// Countdown's arithmetic and TinyZero's reward: a tiny parser for + - * / and parentheses (no eval), the
// "each number exactly once" check, and the score (1 correct, 0.1 well-formed but wrong, 0 no answer).

/** Evaluates an expression of numbers, + - * / and parentheses; null for anything else or a division by zero. */
export function evaluate(expr: string): number | null {
  if (!/^[\d+\-*/().\s]+$/.test(expr)) return null;
  const toks = expr.match(/\d+(?:\.\d+)?|[+\-*/()]/g) ?? [];
  let i = 0;
  const atom = (): number => {
    const t = toks[i++];
    if (t === '(') {
      const v = sum();
      if (toks[i++] !== ')') throw new Error('unbalanced');
      return v;
    }
    if (t === '-') return -atom();
    if (t === undefined || !/^\d/.test(t)) throw new Error('number expected');
    return Number(t);
  };
  const product = (): number => {
    let v = atom();
    while (toks[i] === '*' || toks[i] === '/') {
      const op = toks[i++];
      const r = atom();
      if (op === '/' && r === 0) throw new Error('division by zero');
      v = op === '*' ? v * r : v / r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (toks[i] === '+' || toks[i] === '-') v = toks[i++] === '+' ? v + product() : v - product();
    return v;
  };
  try {
    const v = sum();
    return i === toks.length && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** TinyZero's validate_equation: the numbers in the expression are exactly the given ones, each once. */
export function usesEachOnce(expr: string, nums: readonly number[]): boolean {
  const used = (expr.match(/\d+/g) ?? []).map(Number).sort((a, b) => a - b);
  const given = [...nums].sort((a, b) => a - b);
  return used.length === given.length && used.every((x, k) => x === given[k]);
}

/** The last <answer>…</answer> of a completion, trimmed; null when there is none. */
export function lastAnswerTag(completion: string): string | null {
  const tags = [...completion.matchAll(/<answer>([\s\S]*?)<\/answer>/g)];
  return tags.length ? tags[tags.length - 1][1].trim() : null;
}

/** True when `expr` uses each of `nums` exactly once and equals `target` (within 1e-5, as TinyZero). */
export function countdownCorrect(expr: string, nums: readonly number[], target: number): boolean {
  if (!usesEachOnce(expr, nums)) return false;
  const v = evaluate(expr);
  return v !== null && Math.abs(v - target) < 1e-5;
}

/** TinyZero's compute_score for a completion: 1 if correct, 0.1 if it has an answer tag, else 0. */
export function countdownScore(completion: string, nums: readonly number[], target: number): number {
  const expr = lastAnswerTag(completion);
  if (expr === null) return 0;
  return countdownCorrect(expr, nums, target) ? 1 : 0.1;
}

/** Gold as this family writes it, `[30,71,88,2]:45`, or as JSON `{"nums":[…],"target":45}`. */
export function parseCountdownGold(gold: string): { nums: number[]; target: number } | null {
  const m = /^\s*\[([\d,\s]+)\]\s*:\s*(-?\d+)\s*$/.exec(gold);
  if (m) return { nums: m[1].split(',').map((s) => Number(s.trim())), target: Number(m[2]) };
  try {
    const j = JSON.parse(gold) as { nums?: unknown; numbers?: unknown; target?: unknown };
    const nums = j.nums ?? j.numbers;
    if (Array.isArray(nums) && nums.every((x) => Number.isFinite(Number(x))) && Number.isFinite(Number(j.target))) return { nums: nums.map(Number), target: Number(j.target) };
  } catch {
    // not JSON either
  }
  return null;
}
