/** How the demo generator writes instants, in the forms the feeds deliver them. */

export const HOUR_MS = 3_600_000
export const MINUTE_MS = 60_000

/** `YYYY-MM-DDTHH:MM:SSZ` (whole seconds). */
export function isoUtc(utcMs: number): string {
  return `${new Date(Math.floor(utcMs / 1000) * 1000).toISOString().slice(0, 19)}Z`
}

/** `YYYY-MM-DDTHH:MM:SS+00:00` (whole seconds), the data.police.uk style. */
export function isoUtcOffset(utcMs: number): string {
  return `${new Date(Math.floor(utcMs / 1000) * 1000).toISOString().slice(0, 19)}+00:00`
}
