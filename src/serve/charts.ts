// Server-rendered SVG line charts: axes, min/max tick labels, a legend; no client script.

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartSpec {
  title: string;
  series: readonly Series[];
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Short, stable tick label: 3 significant digits, exponent form for very large or very small magnitudes. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}

const r2 = (v: number): string => String(Math.round(v * 100) / 100);

function extent(vals: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vals) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** Returns SVG markup (already escaped); points with a non-finite coordinate are skipped. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 480;
  const height = spec.height ?? 240;
  const series = spec.series.map((s) => ({
    name: s.name,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  }));
  const legendRows = series.length > 1 ? Math.ceil(series.length / 3) : 0;
  const m = { top: 28 + legendRows * 16, right: 16, bottom: 34, left: 64 };
  const pw = Math.max(10, width - m.left - m.right);
  const ph = Math.max(10, height - m.top - m.bottom);
  const title = escapeXml(spec.title);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">`,
    `<title>${title}</title>`,
    `<text x="${m.left}" y="16" class="chart-title" font-size="13" font-weight="600">${title}</text>`,
  ];
  series.forEach((s, i) => {
    if (!legendRows) return;
    const lx = m.left + (i % 3) * Math.floor(pw / 3);
    const ly = 28 + Math.floor(i / 3) * 16;
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`,
      `<text x="${lx + 14}" y="${ly}" font-size="11">${escapeXml(s.name)}</text>`,
    );
  });
  const all = series.flatMap((s) => s.points);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`);
  if (all.length === 0) {
    out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" text-anchor="middle" font-size="12" fill="#666">no data</text>`, '</svg>');
    return out.join('');
  }
  const [x0, x1] = extent(all.map((p) => p[0]));
  const [y0, y1] = extent(all.map((p) => p[1]));
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const bottom = m.top + ph;
  out.push(
    `<g font-size="11" fill="#444">`,
    `<text x="${m.left - 6}" y="${m.top + 4}" text-anchor="end">${escapeXml(formatTick(y1))}</text>`,
    `<text x="${m.left - 6}" y="${bottom}" text-anchor="end">${escapeXml(formatTick(y0))}</text>`,
    `<text x="${m.left}" y="${bottom + 14}" text-anchor="start">${escapeXml(formatTick(x0))}</text>`,
    `<text x="${m.left + pw}" y="${bottom + 14}" text-anchor="end">${escapeXml(formatTick(x1))}</text>`,
    `<text x="${m.left + pw / 2}" y="${bottom + 28}" text-anchor="middle">step</text>`,
    `</g>`,
  );
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const name = escapeXml(s.name);
    if (s.points.length === 1) {
      const [x, y] = s.points[0];
      out.push(`<circle cx="${r2(sx(x))}" cy="${r2(sy(y))}" r="2.5" fill="${color}"><title>${name}</title></circle>`);
    } else if (s.points.length > 1) {
      const d = s.points.map(([x, y], j) => `${j ? 'L' : 'M'}${r2(sx(x))} ${r2(sy(y))}`).join('');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"><title>${name}</title></path>`);
    }
  });
  out.push('</svg>');
  return out.join('');
}

// The charts a researcher reads first, in this order; any other numeric key follows in the order the log has it.
const FIRST = ['loss', 'rewards', 'completion_len', 'kl', 'clip_frac', 'lr'];

/**
 * One chart per numeric key of a training log, x = step. The per-function `reward/<name>/mean` keys share one
 * "reward per function (mean)" chart; `reward/total/mean`, their weighted sum, keeps a chart of its own.
 */
export function curveCharts(rows: ReadonlyArray<Record<string, number>>, size: { width?: number; height?: number } = {}): string[] {
  const keys: string[] = [];
  const seen = new Set<string>(['step']);
  for (const row of rows) {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  const pts = (k: string): Array<[number, number]> => rows.map((r) => [r.step, k in r ? r[k] : NaN]);
  const rewardMeans = keys.filter((k) => /^reward\/[^/]+\/mean$/.test(k) && k !== 'reward/total/mean');
  const charts: Array<{ key: string; svg: string }> = [];
  if (rewardMeans.length) {
    const series = rewardMeans.map((k) => ({ name: k.split('/')[1], points: pts(k) }));
    charts.push({ key: 'rewards', svg: lineChart({ title: 'reward per function (mean)', series, ...size }) });
  }
  for (const k of keys) if (!rewardMeans.includes(k)) charts.push({ key: k, svg: lineChart({ title: k, series: [{ name: k, points: pts(k) }], ...size }) });
  const rank = (k: string): number => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);
  return charts
    .map((c, i) => ({ ...c, i }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.i - b.i)
    .map((c) => c.svg);
}
