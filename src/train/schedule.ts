// Learning-rate schedule: linear warmup, then cosine decay to min_lr_ratio × lr (nanoGPT's get_lr).

export interface LrSchedule {
  lr: number;
  warmup_steps: number;
  total_steps: number;
  min_lr_ratio: number;
}

export function lrAt(step: number, s: LrSchedule): number {
  if (step < s.warmup_steps) return (s.lr * (step + 1)) / s.warmup_steps;
  if (step >= s.total_steps) return s.lr * s.min_lr_ratio;
  const progress = (step - s.warmup_steps) / Math.max(1, s.total_steps - s.warmup_steps);
  const coeff = 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.lr * (s.min_lr_ratio + (1 - s.min_lr_ratio) * coeff);
}
