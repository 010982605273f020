// Answer equivalence, gold first: exact string match after light normalisation, then numeric comparison.
// Returns null when the gold itself cannot be judged (a gold that does not parse never scores 1).

export function normalise(s: string): string {
  return s
    .trim()
    .replace(/^\$+|\$+$/g, '')
    .replace(/\\text\{([^}]*)\}/g, '$1')
    .replace(/[.\s]+$/, '')
    .replace(/\s+/g, ' ');
}

export function parseNumber(s: string): number | null {
  const t = normalise(s).replace(/(?<=\d),(?=\d{3}\b)/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

export function isEquivalent(gold: string, pred: string | null, relTol = 1e-9): boolean | null {
  const g = normalise(gold);
  if (g === '') return null;
  if (pred === null) return false;
  const p = normalise(pred);
  if (g === p) return true;
  const gv = parseNumber(g);
  if (gv === null) return null;
  const pv = parseNumber(p);
  if (pv === null) return false;
  return Math.abs(gv - pv) <= relTol * Math.max(1, Math.abs(gv));
}
