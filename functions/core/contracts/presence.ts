/**
 * The settings of patrol presence from GPS pings (DESIGN section 12), said here alone: `npm run generate:sql`
 * writes them into queries/shared/shr_presence_settings.sql for the presence SQL, and the composer prunes the
 * pings a run reads by `windowDays` (contracts: `readDays` of patrol_pings). Change one here and regenerate.
 */
export const PRESENCE = {
  /**
   * The days, ending on the as-of date, whose presence a run computes. Each day's presence is computed again by
   * the runs of the days after it until it leaves the window, so pings dropped up to windowDays - 1 days after
   * the day they were recorded still count.
   */
  windowDays: 3,
  /** A ping within this many 25 m cells (in x and in y) of a hotspot's cell is inside it: GPS error. */
  toleranceCells: 1,
  /** A gap longer than this between a device's consecutive pings ends its visit. */
  maxGapMinutes: 5,
  /** A run whose median speed is over this is a vehicle passing through, not foot patrol. */
  walkingPaceMps: 3,
} as const

export const PRESENCE_SETTINGS_FILE = 'shared/shr_presence_settings.sql'

/** queries/shared/shr_presence_settings.sql: the settings as one row, for the presence SQL to read. */
export function presenceSettingsSql(): string {
  return [
    '-- generated from functions/core/contracts/presence.ts by npm run generate:sql; do not edit',
    '-- grain: one row: the settings of patrol presence from GPS pings (DESIGN section 12)',
    '-- parameters: none',
    '--   window_days: the days ending on as_of whose presence a run computes (pings dropped up to',
    '--     window_days - 1 days late count)',
    '--   tolerance_cells: a ping within this many 25 m cells of a hotspot cell (in x and y) is inside it',
    '--   max_gap_ms: a longer gap between consecutive pings of a device ends its visit',
    '--   walking_pace_mps: a run with a median speed over this is a vehicle pass-through',
    'select',
    `  ${PRESENCE.windowDays} as window_days,`,
    `  ${PRESENCE.toleranceCells} as tolerance_cells,`,
    `  ${PRESENCE.maxGapMinutes * 60_000} as max_gap_ms,`,
    `  ${PRESENCE.walkingPaceMps}e0 as walking_pace_mps`,
    '',
  ].join('\n')
}
