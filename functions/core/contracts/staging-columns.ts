import type { FeedName } from './feeds.ts'

/**
 * What each feed's staging query adds besides what every one derives from its contract (versions-sql.ts: the
 * version window, the London day and hour of each timestamp, the grid cell of located feeds). Each extra column
 * is a Trino SQL expression over the version's columns (and the feed's helper columns), portable to DuckDB
 * (queries/README.md, the portable subset).
 */
export interface FeedStaging {
  /** The record one row is a version of, with its article: the staging query's grain. */
  record: string
  /** Columns computed before the staging columns, for them to read; not output. */
  helpers?: readonly StagingExpression[]
  extras?: readonly StagingExpression[]
  /** Why, for the staging query's header (one comment each). */
  notes?: readonly string[]
}

export interface StagingExpression {
  name: string
  sql: string
  /** For the staging query's header; helpers have none. */
  description?: string
}

/** The survey's response window (DESIGN section 7, victim satisfaction), said here alone. */
export const SURVEY_WINDOW_HOURS = 72

export const FEED_STAGING: Record<FeedName, FeedStaging> = {
  incidents: {
    record: 'an incident',
    extras: [
      {
        name: 'serious_violence',
        sql: [
          '(',
          "  crime_type in ('Robbery', 'Possession of weapons')",
          "  or coalesce(weapon_flag, 'none') in ('knife', 'firearm')",
          '  or (',
          "    crime_type = 'Violence and sexual offences'",
          "    and (subcategory is null or lower(subcategory) like '%with injury%')",
          '  )',
          ')',
        ].join('\n'),
        description:
          'DESIGN section 7 (violence with injury, or the whole category without a subcategory; robbery; ' +
          'possession of weapons; any knife or firearm flag)',
      },
    ],
  },
  calls: { record: 'a call' },
  stop_searches: { record: 'a stop and search' },
  arrests: { record: 'an arrest' },
  patrol_visits: { record: 'a patrol visit' },
  patrol_allocations: { record: 'a patrol allocation (hotspot and day)' },
  survey_responses: {
    record: 'a survey response',
    helpers: [{ name: 'window_closes_at', sql: `sent_at + interval '${SURVEY_WINDOW_HOURS}' hour` }],
    extras: [
      {
        name: 'window_closes_date',
        sql: londonDaySql('window_closes_at'),
        description:
          `the London calendar day on which the survey's ${SURVEY_WINDOW_HOURS} h response window ends (sent_at + ` +
          `${SURVEY_WINDOW_HOURS} h, an exact duration between UTC instants). The window is closed as of day D when ` +
          'window_closes_date <= D',
      },
      {
        name: 'responded_after_window',
        sql: 'coalesce(responded_at > window_closes_at, false)',
        description:
          `responded_at is more than ${SURVEY_WINDOW_HOURS} h after sent_at (${SURVEY_WINDOW_HOURS} h exactly is ` +
          "inside the window). Such a response, and its answers, never count: a month's figures must not change " +
          'once its windows have closed',
      },
    ],
    notes: [
      "the survey's response window (DESIGN 7, victim satisfaction) is said here alone: the marts read its end " +
        'from the columns below',
    ],
  },
  tips: { record: 'a tip' },
  patrol_pings: { record: 'a GPS ping (device and instant)' },
}

/**
 * The London calendar day of a UTC instant stored without a zone. `at time zone` on a plain timestamp means
 * opposite things in Trino and DuckDB, so the instant is first given its zone (queries/README.md).
 */
export function londonDaySql(column: string): string {
  return `cast(with_timezone(${column}, 'UTC') at time zone 'Europe/London' as date)`
}

/** The London clock hour (0-23) of a UTC instant stored without a zone. */
export function londonHourSql(column: string): string {
  return `hour(with_timezone(${column}, 'UTC') at time zone 'Europe/London')`
}
