// SVG line charts: escaping, skipped points, tick labels, legend and the grouping of training-log keys.

import { describe, expect, it } from 'vitest';
import { curveCharts, formatTick, lineChart } from '../../src/serve/charts.js';

describe('lineChart', () => {
  it('escapes the title and series names', () => {
    const svg = lineChart({ title: '<b>"x" & y</b>', series: [{ name: '<i>a</i>', points: [[0, 1], [1, 2]] }, { name: 'b', points: [[0, 0]] }] });
    expect(svg).toContain('&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;');
    expect(svg).toContain('&lt;i&gt;a&lt;/i&gt;');
    expect(svg).not.toMatch(/<(b|i)>/);
  });

  it('labels the min and max of both axes and skips non-finite points', () => {
    const svg = lineChart({ title: 't', series: [{ name: 's', points: [[1, 0.5], [2, NaN], [3, Infinity], [10, 2.5]] }] });
    for (const label of ['>0.5<', '>2.5<', '>1<', '>10<']) expect(svg).toContain(label);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg.match(/[ML]/g)?.length).toBeGreaterThan(0);
    expect(svg.match(/d="([^"]*)"/)?.[1].match(/[ML]/g)).toHaveLength(2);
  });

  it('says "no data" when nothing is finite, and draws a legend only for several series', () => {
    expect(lineChart({ title: 't', series: [{ name: 's', points: [[NaN, 1]] }] })).toContain('no data');
    const one = lineChart({ title: 't', series: [{ name: 'only', points: [[0, 1], [1, 1]] }] });
    expect(one).not.toContain('<rect x="64" y="19"');
    const two = lineChart({ title: 't', series: [{ name: 'a', points: [[0, 1]] }, { name: 'b', points: [[0, 2]] }] });
    expect(two).toContain('>a</text>');
    expect(two).toContain('>b</text>');
  });

  it('formats ticks compactly', () => {
    expect(formatTick(0.000123)).toBe('1.2e-4');
    expect(formatTick(0.4251)).toBe('0.425');
    expect(formatTick(1234)).toBe('1230');
    expect(formatTick(0)).toBe('0');
  });
});

describe('curveCharts', () => {
  it('makes one chart per numeric key, one shared chart for the per-function reward means, the named ones first', () => {
    const rows = [
      { step: 1, 'reward/accuracy/mean': 0.1, 'reward/format/mean': 0.5, 'reward/total/mean': 0.6, 'reward/accuracy/std': 0.2, kl: 0, loss: 1 },
      { step: 2, 'reward/accuracy/mean': 0.2, 'reward/format/mean': 0.6, 'reward/total/mean': 0.8, 'reward/accuracy/std': 0.2, kl: 0.01, loss: 0.9 },
    ];
    const charts = curveCharts(rows);
    expect(charts.map((c) => c.match(/<title>([^<]*)<\/title>/)?.[1])).toEqual(['loss', 'reward per function (mean)', 'kl', 'reward/total/mean', 'reward/accuracy/std']);
    expect(charts[1]).toContain('>accuracy</text>');
    expect(charts[1]).toContain('>format</text>');
    expect(charts[1]).not.toContain('>total</text>');
  });
});
