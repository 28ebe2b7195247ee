/**
 * A hand-worked figure as a mart returns it: every double output column is rounded to 6 decimals in SQL
 * (`round(x, 6)`, half away from zero), because a sum of doubles depends on the order of addition, which differs
 * between engines and between runs (DESIGN section 6). The expectation stays the exact figure worked out by hand;
 * this only applies the same rounding, so a test compares the exact double.
 */
export function sixDecimals(x: number): number {
  return (Math.sign(x) * Math.round(Math.abs(x) * 1e6)) / 1e6
}
