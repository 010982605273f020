// Progress for long work: a line on stderr with count, rate, ETA and the latest metrics; every update also
// goes to a JSONL log when one is given. Quiet when REPRISE_QUIET=1.

import { appendJsonl } from './fs.js';

export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  logFile?: string;
  /** Minimum milliseconds between two stderr lines. */
  everyMs?: number;
}

export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private done = 0;
  private startDone = 0;
  constructor(private readonly opts: ProgressOptions) {}

  /** Starting point of a resumed job: the rate counts only work done in this process. */
  resumeAt(done: number): void {
    this.done = done;
    this.startDone = done;
  }

  update(done: number, metrics: Record<string, number | string> = {}): void {
    this.done = done;
    const now = Date.now();
    if (this.opts.logFile) appendJsonl(this.opts.logFile, { t: new Date(now).toISOString(), label: this.opts.label, done, total: this.opts.total, ...metrics });
    if (now - this.lastPrint < (this.opts.everyMs ?? 2000) && done < this.opts.total) return;
    this.lastPrint = now;
    if (process.env.REPRISE_QUIET === '1') return;
    process.stderr.write(this.line(metrics) + '\n');
  }

  line(metrics: Record<string, number | string> = {}): string {
    const secs = (Date.now() - this.start) / 1000;
    const rate = (this.done - this.startDone) / Math.max(secs, 1e-9);
    const left = this.opts.total - this.done;
    const eta = rate > 0 ? left / rate : Infinity;
    const m = Object.entries(metrics)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
      .join(' ');
    return `[${this.opts.label}] ${this.done}/${this.opts.total} ${this.opts.unit ?? ''} | ${fmt(rate)}/s | ETA ${formatDuration(eta)}${m ? ' | ' + m : ''}`;
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential(2);
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}

export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs)) return '?';
  const s = Math.round(secs);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function log(msg: string): void {
  if (process.env.REPRISE_QUIET !== '1') process.stderr.write(msg + '\n');
}
