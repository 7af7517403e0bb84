/** Small order statistics for per-slice figures. NaN entries are ignored. */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const minOf = (values: readonly number[]) => quantile(values, 0);
export const maxOf = (values: readonly number[]) => quantile(values, 1);

export function fmt(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '—';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `0.95 [0.93–0.97]`: median with the interquartile range. */
export function ratioCell(values: readonly number[]): string {
  if (values.filter(Number.isFinite).length === 0) return '—';
  return `${fmt(median(values), 2)} [${fmt(quantile(values, 0.25), 2)}–${fmt(quantile(values, 0.75), 2)}]`;
}
