// All error classes of Reprise: each has a stable code and, where it can, a hint that says how to fix the input.

export class RepriseError extends Error {
  readonly code: string;
  readonly hint?: string;
  constructor(code: string, message: string, hint?: string) {
    super(hint ? `${message}\n  hint: ${hint}` : message);
    this.name = 'RepriseError';
    this.code = code;
    this.hint = hint;
  }
}

/** Bad user input: a file, a line and a field are named where known. */
export class InputError extends RepriseError {
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;
  constructor(message: string, where: { file?: string; line?: number; field?: string; hint?: string } = {}) {
    const loc = [where.file, where.line !== undefined ? `line ${where.line}` : undefined, where.field ? `field "${where.field}"` : undefined]
      .filter(Boolean)
      .join(', ');
    super('E_INPUT', loc ? `${loc}: ${message}` : message, where.hint);
    this.name = 'InputError';
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}

/**
 * Too many items (samples, prompts) failed after retries for the result to be trusted: how many, out of how many,
 * against which limit, and the reasons grouped by message, most frequent first.
 */
export class FailureRateError extends RepriseError {
  constructor(what: { subject?: string; failed: number; total: number; unit: string; limit: string; maxRate: number; noneLeft: boolean; reasons: Record<string, number>; output: string; hint: string }) {
    const why = Object.entries(what.reasons).sort((a, b) => b[1] - a[1]);
    const shown = why.slice(0, 5).map(([r, c]) => `\n    ${c} × ${r}`).join('') + (why.length > 5 ? `\n    … and ${why.length - 5} other reasons` : '');
    const rate = `${((100 * what.failed) / what.total).toFixed(1)}%`;
    const over = what.noneLeft ? `no ${what.unit.replace(/s$/, '')} succeeded` : `more than ${what.limit} ${what.maxRate}`;
    super('E_FAILURES', `${what.subject ? `${what.subject}: ` : ''}${what.failed} of ${what.total} ${what.unit} failed after retries (${rate}, ${over}); no ${what.output} written:${shown}`, what.hint);
    this.name = 'FailureRateError';
  }
}

/** Training produced a NaN or infinity: the stage stops there, and its last checkpoint is the last finite state. */
export class NonFiniteError extends RepriseError {
  constructor(stage: string, step: number, what: string, value: number, kept: number) {
    super('E_NONFINITE', `${stage}: ${what} is ${value} at step ${step}; training stopped${kept > 0 ? `, keeping the last finite checkpoint (${kept} steps done)` : ' before any checkpoint'}`, `lower ${stage}.lr (or raise warmup_steps, set grad_clip)${kept > 0 ? '; a rerun resumes from that checkpoint' : ''}`);
    this.name = 'NonFiniteError';
  }
}

/** Counts failure messages by their first line. */
export function countReasons(messages: Iterable<string>, into: Record<string, number> = {}): Record<string, number> {
  for (const m of messages) {
    const r = m.split('\n')[0];
    into[r] = (into[r] ?? 0) + 1;
  }
  return into;
}

/** A name looked up in a registry that does not have it. */
export class RegistryError extends RepriseError {
  constructor(kind: string, name: string, available: readonly string[]) {
    const near = closest(name, available);
    super('E_REGISTRY', `unknown ${kind} "${name}"`, `${near ? `did you mean "${near}"? ` : ''}available: ${available.join(', ')}`);
    this.name = 'RegistryError';
  }
}

/** A tensor or array with the wrong shape; the shapes go into the message. */
export class ShapeError extends RepriseError {
  constructor(what: string, expected: string, got: readonly number[]) {
    super('E_SHAPE', `${what}: expected shape ${expected}, got [${got.join(', ')}]`);
    this.name = 'ShapeError';
  }
}

export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
