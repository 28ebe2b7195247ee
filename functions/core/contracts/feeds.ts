import { z } from 'zod'
import {
  bool,
  type ClosedList,
  type Column,
  columnsOf,
  date,
  double,
  int,
  oneOf,
  text,
  timestamp,
} from './columns.ts'
import { PRESENCE } from './presence.ts'

/** The 14 categories of data.police.uk street-level crime. */
export const CRIME_TYPES = [
  'Anti-social behaviour',
  'Bicycle theft',
  'Burglary',
  'Criminal damage and arson',
  'Drugs',
  'Other crime',
  'Other theft',
  'Possession of weapons',
  'Public order',
  'Robbery',
  'Shoplifting',
  'Theft from the person',
  'Vehicle crime',
  'Violence and sexual offences',
] as const

const closedList = <const T extends readonly [string, ...string[]]>(
  name: string,
  values: T,
): ClosedList<T> => ({
  name,
  values,
})

/**
 * The closed lists of the group fields that reports break figures down by (DESIGN section 3): any other value is
 * quarantined with the list named. The police.uk lists hold every value of the 36 months of City of London files
 * (../shared/data/README.md), and the rest of police.uk's vocabulary where those files do not use all of it (its
 * older outcome wording, objects of search under other Acts, officer-defined Mixed).
 */
export const GROUP_LISTS = {
  /** ONS 2021 ethnic group, the five high-level categories, each by the first word of its name ("Asian, Asian British or Asian Welsh"). */
  ethnicityGroup: closedList('ONS 2021 ethnic groups (high level)', [
    'Asian',
    'Black',
    'Mixed',
    'White',
    'Other',
  ]),
  ageBand: closedList('victim survey age bands', ['16-24', '25-44', '45-64', '65+']),
  gender: closedList('police.uk genders', ['Female', 'Male', 'Other']),
  ageRange: closedList('police.uk age ranges', ['under 10', '10-17', '18-24', '25-34', 'over 34']),
  /** Officers' own codes, which put Chinese people under Asian. */
  officerDefinedEthnicity: closedList('police.uk officer-defined ethnicities', [
    'Asian',
    'Black',
    'Mixed',
    'Other',
    'White',
  ]),
  /** The 18 ONS 2011 census ethnic groups in police.uk's wording, and its "Not stated". */
  selfDefinedEthnicity: closedList('police.uk self-defined ethnicities (ONS census groups)', [
    'White - English/Welsh/Scottish/Northern Irish/British',
    'White - Irish',
    'White - Gypsy or Irish Traveller',
    'White - Any other White background',
    'Mixed/Multiple ethnic groups - White and Black Caribbean',
    'Mixed/Multiple ethnic groups - White and Black African',
    'Mixed/Multiple ethnic groups - White and Asian',
    'Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background',
    'Asian/Asian British - Indian',
    'Asian/Asian British - Pakistani',
    'Asian/Asian British - Bangladeshi',
    'Asian/Asian British - Chinese',
    'Asian/Asian British - Any other Asian background',
    'Black/African/Caribbean/Black British - African',
    'Black/African/Caribbean/Black British - Caribbean',
    'Black/African/Caribbean/Black British - Any other Black/African/Caribbean background',
    'Other ethnic group - Arab',
    'Other ethnic group - Any other ethnic group',
    'Other ethnic group - Not stated',
  ]),
  objectOfSearch: closedList('police.uk objects of search', [
    'Anything to threaten or harm anyone',
    'Article for use in theft',
    'Articles for use in criminal damage',
    'Controlled drugs',
    'Crossbows',
    'Detailed object of search unavailable',
    'Evidence of offences under the Act',
    'Evidence of wildlife offences',
    'Firearms',
    'Fireworks',
    'Game or poaching equipment',
    'Goods on which duty has not been paid etc.',
    'Offensive weapons',
    'Psychoactive substances',
    'Seals or hunting equipment',
    'Stolen goods',
  ]),
  /** police.uk's stop-and-search outcomes: the wording since 2019, then the older one. */
  searchOutcome: closedList('police.uk stop-and-search outcomes', [
    'A no further action disposal',
    'Arrest',
    'Caution (simple or conditional)',
    'Community resolution',
    'Khat or Cannabis warning',
    'Penalty Notice for Disorder',
    'Summons / charged by post',
    'Article found - Detailed outcome unavailable',
    'Local resolution',
    'Nothing found - no further action',
    'Offender cautioned',
    'Offender given drugs possession warning',
    'Offender given penalty notice',
    'Suspect arrested',
    'Suspect summonsed to court',
  ]),
  tipSource: closedList('tip sources', ['resident', 'shopkeeper', 'youth_worker', 'school', 'other']),
  tipOutcome: closedList('tip outcomes', ['intervention', 'arrest', 'no_action', 'pending']),
} as const

export const FEED_NAMES = [
  'incidents',
  'calls',
  'stop_searches',
  'arrests',
  'patrol_visits',
  'patrol_allocations',
  'survey_responses',
  'tips',
  'patrol_pings',
] as const
export type FeedName = (typeof FEED_NAMES)[number]

/** How a feed's rows must be located. */
export type LocationRule =
  | 'required'
  /** coordinates, or `location_description` = 'No Location' (police.uk rows the force could not place) */
  | 'required-unless-no-location'
  | 'optional'
  /** coordinates or a `hotspot_id` */
  | 'coordinates-or-hotspot'
  | 'none'

export interface FeedContract<S extends z.ZodObject = z.ZodObject> {
  feed: FeedName
  version: number
  /** Columns that identify a record; its versions across drops share them. */
  key: readonly string[]
  schema: S
  location: LocationRule
  /** Personal data a drop may carry: allowed in the header, never stored. */
  personalColumns: readonly string[]
  /**
   * Drops may carry personal data anywhere (a survey's phone numbers and names, in columns no list foresees):
   * a quarantine record or rejection reason then names the line, the column and the rule, and holds no value a
   * column refused, nothing outside the contract's columns, and no raw line text (DESIGN section 4).
   */
  redactRefusals?: true
  /**
   * Columns holding another record's id (a survey's incident): nearly one value per row, stored like the key
   * (as shared prefixes, compressed harder) rather than in a dictionary that would only be tried and dropped.
   */
  referenceColumns?: readonly string[]
  /**
   * Columns the ingest computes for each accepted row (never read from a drop: a drop's column of the same name
   * is refused as unknown), stored after the contract's columns and before the lineage columns.
   */
  ingestColumns?: readonly Column[]
  /**
   * Columns replaced at ingest by a keyed pseudonym (ingest/pseudonym.ts), each with the readable prefix its
   * pseudonyms carry: the raw value is never stored, in curated/ or in a quarantine record, and a drop of the
   * feed is refused whole when the ingest has no pseudonymisation key. Keys are compared as pseudonyms.
   */
  pseudonymised?: Readonly<Record<string, string>>
  /**
   * An accuracy column (metres) and the ingest column that flags a row whose accuracy is over the ingest's
   * accuracy limit: the row is kept, flagged; a row without an accuracy is not flagged. The manifest records the
   * limit.
   */
  accuracyFlag?: { column: string; flag: string }
  /**
   * A timestamp column whose London day may not be after the drop date: readers find a day's rows in the drops
   * dated that day or later, so a row dated after its drop would be missed; it is quarantined.
   */
  notAfterDropDate?: string
  /**
   * A feed too large to read whole (GPS pings): a query as of day D reads only its partitions of the readDays
   * days up to D (drop dates D - readDays + 1 .. D), where every other feed's are read from the first.
   */
  readDays?: number
  /**
   * Rows may come without a natural key (a police.uk layout's rows without a crime id, or stop-and-search rows,
   * which have none): the ingest gives them an id of their drop and line and sets `key_derived`, and the current
   * version rule treats them apart (versions-sql.ts). Only feeds a police.uk layout feeds (ingest/formats.ts)
   * can have such rows; leaving it off spares the rule a window over every stored row of the feed.
   */
  derivedKeys?: true
  /** Cross-field rules, run after each column parsed; each failure names the column it blames. */
  rules?: (row: Record<string, unknown>) => { column: string; reason: string } | undefined
}

const lsoaCode = () =>
  text({
    pattern: /^[EW]01\d{6}$/,
    patternHint: 'is not an LSOA code (E01/W01 followed by 6 digits, 2011 or 2021 vintage)',
    description: 'LSOA code, 2011 or 2021 vintage',
  })

const coordinates = {
  lat: double({ min: -90, max: 90, description: 'WGS84 latitude' }),
  lon: double({ min: -180, max: 180, description: 'WGS84 longitude' }),
  easting: int({ min: -1_000_000, max: 2_000_000, description: 'British National Grid easting (m)' }),
  northing: int({ min: -1_000_000, max: 2_000_000, description: 'British National Grid northing (m)' }),
}

const HOUR_MS = 3_600_000

/** Milliseconds from `from` to `to` in a parsed row, or undefined when either timestamp is absent. */
function span(row: Record<string, unknown>, from: string, to: string): number | undefined {
  const start = row[from]
  const end = row[to]
  return typeof start === 'number' && typeof end === 'number' ? end - start : undefined
}

export const incidents = {
  feed: 'incidents',
  derivedKeys: true,
  version: 1,
  key: ['incident_id'],
  location: 'required-unless-no-location',
  personalColumns: [],
  schema: z.object({
    incident_id: text({ required: true, max: 200, description: 'force crime reference' }),
    reported_at: timestamp({ required: true, description: 'when the crime was reported (UTC)' }),
    occurred_at: timestamp({ description: 'when the crime happened (UTC)' }),
    period_precision: oneOf(['exact', 'day', 'month'], {
      description: 'precision of reported_at: month for data.police.uk rows (first day of the month, local)',
    }),
    crime_type: oneOf(CRIME_TYPES, { required: true, description: 'data.police.uk category' }),
    offence_code: text({ max: 20, description: 'Home Office offence code' }),
    subcategory: text({ max: 200 }),
    lsoa_code: lsoaCode(),
    lsoa_name: text({ max: 200 }),
    outcome: text({ max: 200 }),
    weapon_flag: oneOf(['knife', 'firearm', 'none']),
    domestic: bool(),
    police_initiated: bool({ description: 'found by police (e.g. drugs on search): counted, no harm' }),
    status: text({ max: 100 }),
    location_description: text({ max: 500, description: "street description; 'No Location' when unplaced" }),
    reported_by: text({ max: 200 }),
    falls_within: text({ max: 200 }),
    context: text(),
    ...coordinates,
  }),
  rules: (row) =>
    (span(row, 'reported_at', 'occurred_at') ?? 0) > 24 * HOUR_MS
      ? { column: 'occurred_at', reason: 'occurred_at is after reported_at' }
      : undefined,
} satisfies FeedContract

export const calls = {
  feed: 'calls',
  version: 1,
  key: ['call_id'],
  referenceColumns: ['linked_incident_id'],
  location: 'required',
  personalColumns: ['caller_name', 'caller_phone', 'phone', 'phone_number', 'name'],
  schema: z.object({
    call_id: text({ required: true, max: 200 }),
    received_at: timestamp({ required: true }),
    category: text({ max: 200 }),
    grade: oneOf(['I', 'S', 'E', 'R'], {
      description: 'Immediate, Significant/priority, Extended, Resolution',
    }),
    linked_incident_id: text({ max: 200 }),
    ...coordinates,
  }),
} satisfies FeedContract

export const stopSearches = {
  feed: 'stop_searches',
  derivedKeys: true,
  version: 1,
  key: ['search_id'],
  location: 'optional',
  personalColumns: ['name', 'subject_name', 'date_of_birth', 'address'],
  schema: z.object({
    search_id: text({ required: true, max: 200 }),
    searched_at: timestamp({ required: true }),
    type: text({ max: 100 }),
    gender: oneOf(GROUP_LISTS.gender),
    age_range: oneOf(GROUP_LISTS.ageRange),
    self_defined_ethnicity: oneOf(GROUP_LISTS.selfDefinedEthnicity),
    officer_defined_ethnicity: oneOf(GROUP_LISTS.officerDefinedEthnicity),
    legislation: text({ max: 200 }),
    object_of_search: oneOf(GROUP_LISTS.objectOfSearch),
    outcome: oneOf(GROUP_LISTS.searchOutcome),
    outcome_linked: bool({ description: 'outcome linked to the object of search (a find)' }),
    part_of_operation: bool(),
    operation: text({ max: 200 }),
    removal_of_more_than_outer_clothing: bool(),
    ...coordinates,
  }),
} satisfies FeedContract

export const arrests = {
  feed: 'arrests',
  version: 1,
  key: ['arrest_id'],
  referenceColumns: ['linked_incident_id'],
  location: 'optional',
  personalColumns: ['name', 'arrestee_name', 'date_of_birth', 'address'],
  schema: z.object({
    arrest_id: text({ required: true, max: 200 }),
    arrested_at: timestamp({ required: true }),
    offence_category: text({ required: true, max: 200 }),
    linked_incident_id: text({ max: 200 }),
    ...coordinates,
  }),
} satisfies FeedContract

export const MAX_VISIT_HOURS = 12

export const patrolVisits = {
  feed: 'patrol_visits',
  version: 1,
  key: ['visit_id'],
  location: 'none',
  personalColumns: ['officer_name', 'collar_number'],
  schema: z.object({
    visit_id: text({ required: true, max: 200 }),
    hotspot_id: text({ required: true, max: 100 }),
    started_at: timestamp({ required: true }),
    ended_at: timestamp({ required: true }),
    officers: int({ min: 1, max: 100 }),
    source: oneOf(['gps', 'manual']),
  }),
  rules: (row) => {
    const duration = span(row, 'started_at', 'ended_at') ?? 0
    if (duration <= 0) {
      return { column: 'ended_at', reason: 'ended_at is not after started_at (negative or zero duration)' }
    }
    if (duration > MAX_VISIT_HOURS * HOUR_MS) {
      return { column: 'ended_at', reason: `visit longer than ${MAX_VISIT_HOURS} hours` }
    }
    return undefined
  },
} satisfies FeedContract

export const patrolAllocations = {
  feed: 'patrol_allocations',
  version: 1,
  key: ['hotspot_id', 'date'],
  location: 'none',
  personalColumns: [],
  schema: z.object({
    hotspot_id: text({ required: true, max: 100 }),
    date: date({ required: true, description: 'local calendar day of the allocation' }),
    assigned: bool({ required: true }),
    trial_id: text({ max: 100, description: 'random daily allocation trial' }),
  }),
} satisfies FeedContract

const answer = () =>
  int({ min: 1, max: 7, description: '1 completely satisfied .. 7 completely dissatisfied' })

export const surveyResponses = {
  feed: 'survey_responses',
  version: 1,
  key: ['response_id'],
  referenceColumns: ['incident_id'],
  location: 'none',
  redactRefusals: true,
  personalColumns: [
    'phone',
    'phone_number',
    'mobile',
    'mobile_number',
    'telephone',
    'msisdn',
    'name',
    'first_name',
    'last_name',
    'full_name',
    'victim_name',
    'respondent_name',
    'email',
  ],
  schema: z.object({
    response_id: text({ required: true, max: 200 }),
    incident_id: text({ required: true, max: 200 }),
    sent_at: timestamp({ required: true }),
    responded_at: timestamp(),
    q_ease: answer(),
    q_actions: answer(),
    q_informed: answer(),
    q_treatment: answer(),
    q_overall: answer(),
    ethnicity_group: oneOf(GROUP_LISTS.ethnicityGroup),
    age_band: oneOf(GROUP_LISTS.ageBand),
  }),
  rules: (row) =>
    (span(row, 'sent_at', 'responded_at') ?? 0) < 0
      ? { column: 'responded_at', reason: 'responded_at is before sent_at' }
      : undefined,
} satisfies FeedContract

export const tips = {
  feed: 'tips',
  version: 1,
  key: ['tip_id'],
  location: 'coordinates-or-hotspot',
  personalColumns: ['name', 'phone', 'phone_number', 'email', 'informant_name'],
  schema: z.object({
    tip_id: text({ required: true, max: 200 }),
    received_at: timestamp({ required: true }),
    source_type: oneOf(GROUP_LISTS.tipSource, { required: true }),
    hotspot_id: text({ max: 100 }),
    category: text({ max: 200 }),
    actioned_at: timestamp(),
    outcome: oneOf(GROUP_LISTS.tipOutcome),
    ...coordinates,
  }),
  rules: (row) =>
    (span(row, 'received_at', 'actioned_at') ?? 0) < 0
      ? { column: 'actioned_at', reason: 'actioned_at is before received_at' }
      : undefined,
} satisfies FeedContract

/** The accuracy (metres) above which a ping is kept but flagged, and left out of presence (DESIGN section 12). */
export const DEFAULT_PING_ACCURACY_LIMIT_M = 50

export const patrolPings = {
  feed: 'patrol_pings',
  version: 1,
  key: ['device_id', 'recorded_at'],
  location: 'required',
  // the window's days and the day before it, where a visit that runs into the window's first day began
  readDays: PRESENCE.windowDays + 1,
  personalColumns: ['officer_name', 'collar_number', 'officer_id', 'name'],
  schema: z.object({
    device_id: text({
      required: true,
      max: 200,
      description: "the device's id, pseudonymised at ingest with a keyed HMAC (the raw id is never stored)",
    }),
    recorded_at: timestamp({ required: true, description: 'when the device recorded the position (UTC)' }),
    accuracy_m: double({ min: 0, max: 100_000, description: 'horizontal accuracy the device reported (m)' }),
    speed_mps: double({ min: 0, max: 150, description: 'speed the device reported (m/s)' }),
    heading: double({ min: 0, below: 360, description: 'heading the device reported (degrees from north)' }),
    team: text({ max: 100 }),
    shift_id: text({ max: 100 }),
    ...coordinates,
  }),
  pseudonymised: { device_id: 'dev-' },
  accuracyFlag: { column: 'accuracy_m', flag: 'low_accuracy' },
  notAfterDropDate: 'recorded_at',
  ingestColumns: [
    {
      name: 'low_accuracy',
      kind: 'boolean',
      required: true,
      description:
        'accuracy_m is over the accuracy limit the ingest ran with: kept, but left out of presence',
    },
  ],
} satisfies FeedContract

export const CONTRACTS: Record<FeedName, FeedContract> = {
  incidents,
  calls,
  stop_searches: stopSearches,
  arrests,
  patrol_visits: patrolVisits,
  patrol_allocations: patrolAllocations,
  survey_responses: surveyResponses,
  tips,
  patrol_pings: patrolPings,
} as unknown as Record<FeedName, FeedContract>

export function contractFor(feed: string): FeedContract {
  if (!(FEED_NAMES as readonly string[]).includes(feed)) {
    throw new Error(`unknown feed ${JSON.stringify(feed)}; expected one of ${FEED_NAMES.join(', ')}`)
  }
  return CONTRACTS[feed as FeedName]
}

/** Columns every curated row carries besides its contract's, added at ingest. */
export const LINEAGE_COLUMNS: Column[] = [
  {
    name: 'drop_id',
    kind: 'string',
    required: true,
    description: '<feed>-<drop_date>-<sha256 of content, 16 hex>',
  },
  {
    name: 'drop_date',
    kind: 'date',
    required: true,
    description: 'date of the drop that delivered this version',
  },
  { name: 'source_line', kind: 'int', required: true, description: 'line of the row in the dropped file' },
  {
    name: 'ingested_at',
    kind: 'timestamp',
    required: true,
    description: 'when the drop was first ingested (UTC)',
  },
  {
    name: 'key_derived',
    kind: 'boolean',
    required: true,
    description: 'the record had no natural key; its id is derived from (drop, ordinal)',
  },
]

/** The columns of the curated Parquet files of a feed: contract columns, those the ingest computes, then lineage. */
export function curatedColumns(contract: FeedContract): Column[] {
  return [...columnsOf(contract.schema), ...(contract.ingestColumns ?? []), ...LINEAGE_COLUMNS]
}
