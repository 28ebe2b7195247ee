import type { FeedName } from '../contracts/feeds.ts'

/**
 * The columns of each generated drop, in file order: contract columns (snake_case), plus `phone_number` in
 * survey drops (personal data the ingest must drop). A unit test checks them against the contracts.
 */
export const DROP_COLUMNS: Record<FeedName, readonly string[]> = {
  incidents: [
    'incident_id',
    'reported_at',
    'occurred_at',
    'period_precision',
    'crime_type',
    'subcategory',
    'outcome',
    'status',
    'weapon_flag',
    'domestic',
    'police_initiated',
    'location_description',
    'easting',
    'northing',
  ],
  calls: ['call_id', 'received_at', 'category', 'grade', 'linked_incident_id', 'lat', 'lon'],
  stop_searches: [
    'search_id',
    'searched_at',
    'type',
    'gender',
    'age_range',
    'self_defined_ethnicity',
    'officer_defined_ethnicity',
    'legislation',
    'object_of_search',
    'outcome',
    'outcome_linked',
    'part_of_operation',
    'operation',
    'lat',
    'lon',
  ],
  arrests: ['arrest_id', 'arrested_at', 'offence_category', 'linked_incident_id', 'easting', 'northing'],
  patrol_visits: ['visit_id', 'hotspot_id', 'started_at', 'ended_at', 'officers', 'source'],
  patrol_allocations: ['hotspot_id', 'date', 'assigned', 'trial_id'],
  survey_responses: [
    'response_id',
    'incident_id',
    'sent_at',
    'responded_at',
    'q_ease',
    'q_actions',
    'q_informed',
    'q_treatment',
    'q_overall',
    'ethnicity_group',
    'age_band',
    'phone_number',
  ],
  tips: [
    'tip_id',
    'received_at',
    'source_type',
    'hotspot_id',
    'category',
    'actioned_at',
    'outcome',
    'lat',
    'lon',
  ],
  patrol_pings: [
    'device_id',
    'recorded_at',
    'lat',
    'lon',
    'accuracy_m',
    'speed_mps',
    'heading',
    'team',
    'shift_id',
  ],
}

/** The key column of each feed's rows (allocations: hotspot_id and date). */
export const KEY_OF: Record<FeedName, readonly string[]> = {
  incidents: ['incident_id'],
  calls: ['call_id'],
  stop_searches: ['search_id'],
  arrests: ['arrest_id'],
  patrol_visits: ['visit_id'],
  patrol_allocations: ['hotspot_id', 'date'],
  survey_responses: ['response_id'],
  tips: ['tip_id'],
  patrol_pings: ['device_id', 'recorded_at'],
}

export type Values = Record<string, string>

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

export function csvLine(columns: readonly string[], values: Values): string {
  let line = ''
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ','
    line += csvField(values[columns[i] as string] ?? '')
  }
  return line
}

export function keyOf(feed: FeedName, values: Values): string {
  return KEY_OF[feed].map((k) => values[k] ?? '').join('|')
}
