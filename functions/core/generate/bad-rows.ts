import type { FeedName } from '../contracts/feeds.ts'
import type { QuarantineCode } from '../ingest/scan.ts'
import { londonDayNumber, londonToUtc } from '../time/london.ts'
import { HOUR_MS, isoUtc, isoUtcOffset, MINUTE_MS } from './calendar.ts'
import type { Values } from './columns.ts'

/**
 * The bad rows planted in the drops: each is a copy of a good row of the same drop, given a fresh key and one
 * fault, with the quarantine outcome the ingest must give it (code, the column it blames, and a part of its
 * reason). A fault never touches the key of a real record, so every good record stays intact.
 */
export interface BadRowKind {
  kind: string
  code: QuarantineCode
  /** The column the quarantine record names (null for rows that cannot be split into fields). */
  column: string | null
  /** A part of the quarantine reason. */
  reason: string
  /** Puts the fault into a copy of a good row (already given a fresh key). */
  apply(values: Values): void
  /** The row written as text instead of by columns (a truncated row). */
  truncate?: number
}

const ms = (iso: string | undefined) => Date.parse(iso ?? '')

/** A required column left empty. */
const missing = (column: string): BadRowKind => ({
  kind: `missing_${column}`,
  code: 'invalid_value',
  column,
  reason: 'required value is missing',
  apply: (v) => {
    v[column] = ''
  },
})

/** A value outside the column's vocabulary. */
const unknownValue = (column: string, value: string): BadRowKind => ({
  kind: `unknown_${column}`,
  code: 'invalid_value',
  column,
  reason: `unknown value "${value}"`,
  apply: (v) => {
    v[column] = value
  },
})

export const BAD_ROWS: Record<FeedName, BadRowKind[]> = {
  incidents: [
    {
      kind: 'unknown_crime_type',
      code: 'invalid_value',
      column: 'crime_type',
      reason: 'unknown value "Vandalism"',
      apply: (v) => {
        v.crime_type = 'Vandalism'
        v.subcategory = ''
      },
    },
    {
      kind: 'null_island',
      code: 'invalid_value',
      column: 'easting',
      reason: 'coordinates 0,0',
      apply: (v) => {
        v.easting = '0'
        v.northing = '0'
        v.location_description = 'On or near Unknown'
      },
    },
    {
      kind: 'before_2000',
      code: 'invalid_value',
      column: 'reported_at',
      reason: 'is before 2000-01-01',
      apply: (v) => {
        v.reported_at = `1999-06-15${(v.reported_at ?? '').slice(10)}`
        v.occurred_at = ''
      },
    },
    {
      kind: 'occurred_after_reported',
      code: 'invalid_value',
      column: 'occurred_at',
      reason: 'occurred_at is after reported_at',
      apply: (v) => {
        v.occurred_at = isoUtc(ms(v.reported_at) + 30 * HOUR_MS)
      },
    },
    unknownValue('weapon_flag', 'machete'),
  ],
  calls: [
    {
      kind: 'null_island',
      code: 'invalid_value',
      column: 'lat',
      reason: 'coordinates 0,0 (null island)',
      apply: (v) => {
        v.lat = '0'
        v.lon = '0'
      },
    },
    unknownValue('grade', 'P'),
    {
      kind: 'no_location',
      code: 'invalid_value',
      column: 'lat',
      reason: 'location is required',
      apply: (v) => {
        v.lat = ''
        v.lon = ''
      },
    },
    {
      kind: 'truncated_row',
      code: 'wrong_field_count',
      column: null,
      reason: 'expected 7 fields, found 5',
      apply: () => {},
      truncate: 5,
    },
  ],
  stop_searches: [
    {
      kind: 'timestamp_without_offset',
      code: 'invalid_value',
      column: 'searched_at',
      reason: 'is not an ISO-8601 timestamp with a UTC offset',
      apply: (v) => {
        v.searched_at = (v.searched_at ?? '').slice(0, 19).replace('T', ' ')
      },
    },
    {
      kind: 'lat_without_lon',
      code: 'invalid_value',
      column: 'lon',
      reason: 'lat and lon must be given together',
      apply: (v) => {
        if (!v.lat) v.lat = '51.5074'
        v.lon = ''
      },
    },
    {
      kind: 'not_a_boolean',
      code: 'invalid_value',
      column: 'outcome_linked',
      reason: 'is not a boolean',
      apply: (v) => {
        v.outcome_linked = 'maybe'
      },
    },
  ],
  arrests: [
    missing('offence_category'),
    {
      kind: 'impossible_date',
      code: 'invalid_value',
      column: 'arrested_at',
      reason: 'is not an ISO-8601 timestamp',
      apply: (v) => {
        v.arrested_at = `${(v.arrested_at ?? '').slice(0, 4)}-02-30T10:15:00Z`
      },
    },
  ],
  patrol_visits: [
    {
      kind: 'thirteen_hour_visit',
      code: 'invalid_value',
      column: 'ended_at',
      reason: 'visit longer than 12 hours',
      apply: (v) => {
        v.ended_at = isoUtc(ms(v.started_at) + 13 * HOUR_MS)
      },
    },
    {
      kind: 'ends_before_start',
      code: 'invalid_value',
      column: 'ended_at',
      reason: 'ended_at is not after started_at',
      apply: (v) => {
        v.ended_at = isoUtc(ms(v.started_at) - 10 * MINUTE_MS)
      },
    },
    {
      kind: 'zero_officers',
      code: 'invalid_value',
      column: 'officers',
      reason: '0 is outside 1..100',
      apply: (v) => {
        v.officers = '0'
      },
    },
  ],
  patrol_allocations: [
    {
      kind: 'impossible_date',
      code: 'invalid_value',
      column: 'date',
      reason: 'is not a date',
      apply: (v) => {
        v.date = `${(v.date ?? '').slice(0, 4)}-02-30`
      },
    },
    missing('hotspot_id'),
  ],
  survey_responses: [
    {
      kind: 'answer_out_of_range',
      code: 'invalid_value',
      column: 'q_overall',
      // without the value: a survey's refusals never repeat one (DESIGN section 4)
      reason: 'is outside 1..7',
      apply: (v) => {
        if (!v.responded_at) v.responded_at = isoUtc(ms(v.sent_at) + 2 * HOUR_MS)
        v.q_overall = '9'
      },
    },
    {
      kind: 'responded_before_sent',
      code: 'invalid_value',
      column: 'responded_at',
      reason: 'responded_at is before sent_at',
      apply: (v) => {
        v.responded_at = isoUtc(ms(v.sent_at) - 2 * HOUR_MS)
      },
    },
    missing('incident_id'),
  ],
  tips: [
    unknownValue('source_type', 'anonymous'),
    {
      kind: 'no_location',
      code: 'invalid_value',
      column: 'hotspot_id',
      reason: 'either coordinates or hotspot_id is required',
      apply: (v) => {
        v.hotspot_id = ''
        v.lat = ''
        v.lon = ''
      },
    },
    {
      kind: 'actioned_before_received',
      code: 'invalid_value',
      column: 'actioned_at',
      reason: 'actioned_at is before received_at',
      apply: (v) => {
        v.actioned_at = isoUtc(ms(v.received_at) - HOUR_MS)
        v.outcome = 'intervention'
      },
    },
  ],
  patrol_pings: [
    missing('device_id'),
    {
      kind: 'negative_accuracy',
      code: 'invalid_value',
      column: 'accuracy_m',
      reason: 'is outside 0..100000',
      apply: (v) => {
        v.accuracy_m = '-5'
      },
    },
    {
      kind: 'recorded_after_drop',
      code: 'invalid_value',
      column: 'recorded_at',
      reason: 'is after the drop date',
      // ten past midnight of the next London day: before the ingest's "now + 24 h" on the period's last drop too
      apply: (v) => {
        v.recorded_at = isoUtcOffset(londonToUtc(londonDayNumber(ms(v.recorded_at)) + 1, 10))
      },
    },
  ],
}
