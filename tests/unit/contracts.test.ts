import { describe, expect, it } from 'vitest'
import { columnsOf } from '../../functions/core/contracts/columns.ts'
import {
  CONTRACTS,
  CRIME_TYPES,
  contractFor,
  curatedColumns,
  FEED_NAMES,
  type FeedName,
  GROUP_LISTS,
  LINEAGE_COLUMNS,
} from '../../functions/core/contracts/feeds.ts'
import { type RawRow, type Validation, validateRow } from '../../functions/core/contracts/validate.ts'

/** Ingest "now" is 2026-06-01T12:00:00Z: nothing after now + 24 h is accepted. */
const NOT_AFTER_MS = Date.UTC(2026, 5, 2, 12, 0, 0)
const context = { notAfterMs: NOT_AFTER_MS }

/** A point in the City of London (Bank junction), WGS84. */
const CITY = { lat: '51.5136', lon: '-0.0890' }

/** One valid row per feed, as a CSV drop would give it (all values text). */
const VALID: Record<FeedName, RawRow> = {
  incidents: {
    incident_id: 'INC-001',
    reported_at: '2026-05-01T10:00:00+01:00',
    crime_type: 'Burglary',
    lsoa_code: 'E01000001',
    domestic: 'false',
    ...CITY,
  },
  calls: { call_id: 'CALL-1', received_at: '2026-05-01T23:30:00Z', grade: 'I', ...CITY },
  stop_searches: { search_id: 'SS-1', searched_at: '2026-05-01T12:00:00+00:00', outcome_linked: 'false' },
  arrests: { arrest_id: 'ARR-1', arrested_at: '2026-05-01T12:00:00+01:00', offence_category: 'Violence' },
  patrol_visits: {
    visit_id: 'V-1',
    hotspot_id: 'HS-01',
    started_at: '2026-05-01T10:00:00+01:00',
    ended_at: '2026-05-01T10:15:00+01:00',
    officers: '2',
    source: 'gps',
  },
  patrol_allocations: { hotspot_id: 'HS-01', date: '2026-05-01', assigned: 'true' },
  survey_responses: {
    response_id: 'R-1',
    incident_id: 'INC-001',
    sent_at: '2026-05-02T09:00:00+01:00',
    responded_at: '2026-05-02T18:00:00+01:00',
    q_ease: '1',
    q_overall: '7',
  },
  tips: {
    tip_id: 'T-1',
    received_at: '2026-05-01T10:00:00+01:00',
    source_type: 'resident',
    hotspot_id: 'HS-01',
  },
  patrol_pings: { device_id: 'TRK-1', recorded_at: '2026-05-01T10:00:05+01:00', accuracy_m: '8', ...CITY },
}

/** Required columns per feed, from DESIGN section 3 (location rules are checked separately). */
const REQUIRED: Record<FeedName, string[]> = {
  incidents: ['incident_id', 'reported_at', 'crime_type'],
  calls: ['call_id', 'received_at'],
  stop_searches: ['search_id', 'searched_at'],
  arrests: ['arrest_id', 'arrested_at', 'offence_category'],
  patrol_visits: ['visit_id', 'hotspot_id', 'started_at', 'ended_at'],
  patrol_allocations: ['hotspot_id', 'date', 'assigned'],
  survey_responses: ['response_id', 'incident_id', 'sent_at'],
  tips: ['tip_id', 'received_at', 'source_type'],
  patrol_pings: ['device_id', 'recorded_at'],
}

function check(feed: FeedName, changes: RawRow): Validation {
  const row: RawRow = { ...VALID[feed] }
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete row[name]
    else row[name] = value
  }
  return validateRow(contractFor(feed), row, context)
}

function accepted(feed: FeedName, changes: RawRow = {}): Record<string, unknown> {
  const result = check(feed, changes)
  if (!result.ok) throw new Error(`expected ${feed} row to pass, got ${JSON.stringify(result.issues)}`)
  return result.row
}

/** Asserts the row fails and that its first issue names `column` (and, if given, a reason matching `reason`). */
function refused(feed: FeedName, changes: RawRow, column: string, reason?: RegExp): void {
  const result = check(feed, changes)
  expect(result.ok, `${feed} ${JSON.stringify(changes)} should fail`).toBe(false)
  if (result.ok) return
  expect(result.issues[0]?.column).toBe(column)
  if (reason) expect(result.issues[0]?.reason).toMatch(reason)
}

describe('feed contracts: valid rows', () => {
  it('covers exactly the nine feeds of DESIGN section 3', () => {
    expect([...FEED_NAMES].sort()).toEqual(
      [
        'arrests',
        'calls',
        'incidents',
        'patrol_allocations',
        'patrol_pings',
        'patrol_visits',
        'stop_searches',
        'survey_responses',
        'tips',
      ].sort(),
    )
    expect(Object.keys(CONTRACTS).sort()).toEqual([...FEED_NAMES].sort())
  })

  it.each(FEED_NAMES)('a valid %s row passes', (feed) => {
    expect(check(feed, {})).toMatchObject({ ok: true })
  })

  it('normalises an incident: timestamp to UTC ms, booleans, coordinates to BNG', () => {
    const row = accepted('incidents')
    // 10:00 BST on 1 May 2026 is 09:00 UTC
    expect(row.reported_at).toBe(Date.UTC(2026, 4, 1, 9, 0, 0))
    expect(row.domestic).toBe(false)
    expect(row.lat).toBe(51.5136)
    expect(row.lon).toBe(-0.089)
    // Bank junction is near TQ 327 811 on the national grid
    expect(row.easting).toBeGreaterThan(532_400)
    expect(row.easting).toBeLessThan(533_000)
    expect(row.northing).toBeGreaterThan(180_800)
    expect(row.northing).toBeLessThan(181_400)
    expect(Number.isInteger(row.easting)).toBe(true)
    expect(Number.isInteger(row.northing)).toBe(true)
  })

  it('fills lat/lon from easting/northing', () => {
    const row = accepted('incidents', {
      lat: undefined,
      lon: undefined,
      easting: '532703',
      northing: '181139',
    })
    expect(row.easting).toBe(532_703)
    expect(row.northing).toBe(181_139)
    expect(row.lat as number).toBeCloseTo(51.5136, 3)
    expect(row.lon as number).toBeCloseTo(-0.089, 3)
  })

  it('a patrol allocation date is stored as days since 1970-01-01', () => {
    // 2026-01-01 is 56 * 365 + 14 leap days = 20454; + 31 + 28 + 31 + 30 = 20574 for 1 May
    expect(accepted('patrol_allocations').date).toBe(20_574)
    expect(accepted('patrol_allocations').assigned).toBe(true)
  })

  it('parses numbers and booleans from their text (JSON Lines scalars arrive as text too)', () => {
    const row = accepted('incidents', {
      lat: ' 51.5136 ',
      lon: '-8.9e-2',
      domestic: 'TRUE',
      police_initiated: 'yes',
    })
    expect(row.lat).toBe(51.5136)
    expect(row.lon).toBe(-0.089)
    expect(row.domestic).toBe(true)
    expect(row.police_initiated).toBe(true)
    expect(accepted('patrol_visits', { officers: '3' }).officers).toBe(3)
    refused('incidents', { lat: '51,5136' }, 'lat', /not a number/)
    refused('incidents', { lat: '0x33' }, 'lat', /not a number/)
    refused('incidents', { lat: 'NaN' }, 'lat', /not a number/)
  })

  it('treats empty strings and null as absent', () => {
    const row = accepted('incidents', { outcome: '', domestic: null, lsoa_code: '' })
    expect(row.outcome).toBeUndefined()
    expect(row.domestic).toBeUndefined()
    expect(row.lsoa_code).toBeUndefined()
  })

  it('ignores columns that are not in the contract (personal data never enters a row)', () => {
    const row = accepted('survey_responses', { phone_number: '07700 900123', respondent_name: 'Jane Doe' })
    expect(row).not.toHaveProperty('phone_number')
    expect(row).not.toHaveProperty('respondent_name')
  })
})

describe('feed contracts: missing required values', () => {
  const cases = FEED_NAMES.flatMap((feed) => REQUIRED[feed].map((column) => [feed, column] as const))
  it.each(cases)('%s without %s fails naming it', (feed, column) => {
    refused(feed, { [column]: undefined }, column, /required value is missing/)
    refused(feed, { [column]: '' }, column, /required value is missing/)
  })

  it('a required id made only of spaces is refused as blank', () => {
    refused('incidents', { incident_id: '   ' }, 'incident_id', /is blank/)
    refused('patrol_visits', { hotspot_id: '\t' }, 'hotspot_id', /is blank/)
  })

  it('a value of the wrong JSON type is not reported as missing', () => {
    const result = check('incidents', { incident_id: 123 })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.issues[0]?.column).toBe('incident_id')
      expect(result.issues[0]?.reason).not.toMatch(/missing/)
    }
  })
})

describe('feed contracts: text is stored without surrounding whitespace', () => {
  /*
   * The SQL never trims (Trino's trim removes every kind of whitespace, DuckDB's only spaces: DESIGN section 6),
   * so the ingest stores every text field cleaned: leading and trailing whitespace of any kind removed, and a
   * field of whitespace only stored as null (absent).
   */
  it('removes tabs, newlines and carriage returns around a value, keeping those inside it', () => {
    const row = accepted('survey_responses', {
      ethnicity_group: '\tWhite\n',
      age_band: '\r\n 25-44 \t\r\n',
    })
    expect(row.ethnicity_group).toBe('White')
    expect(row.age_band).toBe('25-44')
    expect(accepted('incidents', { lsoa_name: ' Camden\t001A\n' }).lsoa_name).toBe('Camden\t001A')
    expect(accepted('incidents', { context: 'line one\nline two\n' }).context).toBe('line one\nline two')
  })

  it('removes other Unicode whitespace: no-break, ideographic, thin and line-separator spaces, NEL, a BOM', () => {
    const row = accepted('stop_searches', {
      officer_defined_ethnicity: '\u00a0\ufeffAsian\u3000',
      object_of_search: '\u2009Offensive weapons\u2028\u0085\u000b\u000c',
    })
    expect(row.officer_defined_ethnicity).toBe('Asian')
    expect(row.object_of_search).toBe('Offensive weapons')
  })

  it('stores a field of whitespace only as null (absent), as it stores an empty field', () => {
    const row = accepted('survey_responses', { ethnicity_group: ' \t\r\n', age_band: '\u00a0' })
    expect(row.ethnicity_group).toBeUndefined()
    expect(row.age_band).toBeUndefined()
  })

  it('cleans ids and required labels too, and refuses one made only of whitespace as blank', () => {
    const row = accepted('arrests', { arrest_id: '\tARR-1\r\n', offence_category: ' Violence\n' })
    expect(row.arrest_id).toBe('ARR-1')
    expect(row.offence_category).toBe('Violence')
    refused('arrests', { offence_category: '\r\n\t' }, 'offence_category', /is blank/)
  })

  it('checks a pattern against the cleaned value', () => {
    expect(accepted('incidents', { lsoa_code: '\tE01000001\n' }).lsoa_code).toBe('E01000001')
    refused('incidents', { lsoa_code: 'E01 000001' }, 'lsoa_code', /not an LSOA code/)
  })
})

describe('feed contracts: control characters are refused, not stored', () => {
  /*
   * A control character that is not whitespace (NUL, ESC, DEL, the C1 controls) is never text, and it is
   * invisible: 'INC-001' followed by NUL would be a second record that prints as the first. The row is
   * quarantined naming the column and the character's position, never its text.
   */
  it('refuses NUL in an id, even at its edge (NUL is not whitespace, so cleaning keeps it)', () => {
    refused(
      'incidents',
      { incident_id: 'INC-001\u0000' },
      'incident_id',
      /^holds the control character U\+0000 at character 8$/,
    )
    refused('incidents', { incident_id: '\u0000INC-001' }, 'incident_id', /U\+0000 at character 1$/)
    refused('survey_responses', { response_id: 'R\u00001' }, 'response_id', /U\+0000 at character 2$/)
  })

  it('refuses ESC, DEL and C1 controls in free text', () => {
    refused(
      'incidents',
      { location_description: 'On or near \u001b[31mCheapside' },
      'location_description',
      /U\+001B/,
    )
    refused('incidents', { context: 'deleted\u007f' }, 'context', /U\+007F/)
    refused('incidents', { subcategory: 'Caf\u0081' }, 'subcategory', /U\+0081/)
  })

  it('keeps the whitespace controls (tab, line breaks, VT, FF, NEL) inside text', () => {
    expect(accepted('incidents', { context: 'a\tb\nc\rd\u000be\u000cf\u0085g' }).context).toBe(
      'a\tb\nc\rd\u000be\u000cf\u0085g',
    )
  })
})

describe('feed contracts: timestamps', () => {
  it('refuses text that is not a timestamp', () => {
    refused('incidents', { reported_at: 'yesterday' }, 'reported_at', /not an ISO-8601 timestamp/)
    refused('incidents', { reported_at: '01/05/2026 10:00' }, 'reported_at')
    refused('incidents', { reported_at: '2026-02-30T10:00:00Z' }, 'reported_at')
    refused('calls', { received_at: '2026-05-01T25:00:00Z' }, 'received_at')
  })

  it('refuses a timestamp without a UTC offset', () => {
    refused('incidents', { reported_at: '2026-05-01T10:00:00' }, 'reported_at', /UTC offset/)
    refused('incidents', { reported_at: '2026-05-01' }, 'reported_at')
    refused('patrol_visits', { started_at: '2026-05-01 10:00' }, 'started_at')
  })

  it('refuses anything before 2000-01-01T00:00Z, in UTC', () => {
    refused('incidents', { reported_at: '1999-12-31T23:59:59Z' }, 'reported_at', /before 2000/)
    refused('incidents', { reported_at: '1999-06-15T10:00:00+01:00' }, 'reported_at', /before 2000/)
    // local midnight in +01:00 is still 1999 in UTC
    refused('incidents', { reported_at: '2000-01-01T00:30:00+01:00' }, 'reported_at', /before 2000/)
    expect(accepted('incidents', { reported_at: '2000-01-01T00:00:00Z' }).reported_at).toBe(
      Date.UTC(2000, 0, 1),
    )
    refused('patrol_allocations', { date: '1999-12-31' }, 'date', /before 2000/)
    expect(accepted('patrol_allocations', { date: '2000-01-01' }).date).toBe(10_957)
  })

  it('refuses timestamps more than 24 h after now (notAfterMs), in any timestamp column', () => {
    expect(accepted('incidents', { reported_at: '2026-06-02T12:00:00Z' }).reported_at).toBe(NOT_AFTER_MS)
    expect(accepted('incidents', { reported_at: '2026-06-02T13:00:00+01:00' }).reported_at).toBe(NOT_AFTER_MS)
    refused('incidents', { reported_at: '2026-06-02T12:00:01Z' }, 'reported_at', /in the future/)
    refused('calls', { received_at: '2027-01-01T00:00:00Z' }, 'received_at', /in the future/)
    refused('survey_responses', { responded_at: '2026-06-03T00:00:00Z' }, 'responded_at', /in the future/)
    refused(
      'patrol_visits',
      { started_at: '2026-06-05T10:00:00Z', ended_at: '2026-06-05T11:00:00Z' },
      'started_at',
      /in the future/,
    )
  })

  it('applies the cross-field time rules', () => {
    refused(
      'survey_responses',
      { responded_at: '2026-05-02T08:00:00+01:00' },
      'responded_at',
      /before sent_at/,
    )
    refused('tips', { actioned_at: '2026-05-01T09:00:00+01:00' }, 'actioned_at', /before received_at/)
    // occurred more than a day after it was reported
    refused('incidents', { occurred_at: '2026-05-03T10:00:00+01:00' }, 'occurred_at', /after reported_at/)
    expect(accepted('incidents', { occurred_at: '2026-04-30T22:00:00+01:00' }).occurred_at).toBe(
      Date.UTC(2026, 3, 30, 21, 0, 0),
    )
  })
})

describe('feed contracts: enumerations and codes', () => {
  it('knows the 14 police.uk crime categories and nothing else', () => {
    expect(CRIME_TYPES).toHaveLength(14)
    for (const crimeType of CRIME_TYPES)
      expect(accepted('incidents', { crime_type: crimeType }).crime_type).toBe(crimeType)
    refused('incidents', { crime_type: 'Burglery' }, 'crime_type', /unknown value "Burglery"/)
    refused('incidents', { crime_type: 'Theft' }, 'crime_type', /unknown value/)
    refused('incidents', { crime_type: 'Anti-social behavior' }, 'crime_type')
  })

  it('refuses unknown values of the other enumerations', () => {
    refused('incidents', { weapon_flag: 'sword' }, 'weapon_flag', /expected one of knife, firearm, none/)
    refused('incidents', { period_precision: 'year' }, 'period_precision')
    refused('calls', { grade: 'X' }, 'grade')
    refused('patrol_visits', { source: 'radio' }, 'source')
    refused('tips', { source_type: 'neighbour' }, 'source_type')
    refused('tips', { outcome: 'closed' }, 'outcome')
  })

  // validateRow shows coordinates in a location's rule: safe only while no redacted feed has a location
  it('redacts the refusals of the survey feed, which has no location', () => {
    const redacted = FEED_NAMES.filter((feed) => CONTRACTS[feed].redactRefusals)
    expect(redacted).toEqual(['survey_responses'])
    for (const feed of redacted) expect(CONTRACTS[feed].location).toBe('none')
  })

  // DESIGN section 3: free text (a name, a phone number) can never become a group in a result
  it.each([
    ['survey_responses', 'ethnicity_group', GROUP_LISTS.ethnicityGroup],
    ['survey_responses', 'age_band', GROUP_LISTS.ageBand],
    ['stop_searches', 'gender', GROUP_LISTS.gender],
    ['stop_searches', 'age_range', GROUP_LISTS.ageRange],
    ['stop_searches', 'officer_defined_ethnicity', GROUP_LISTS.officerDefinedEthnicity],
    ['stop_searches', 'self_defined_ethnicity', GROUP_LISTS.selfDefinedEthnicity],
    ['stop_searches', 'object_of_search', GROUP_LISTS.objectOfSearch],
    ['stop_searches', 'outcome', GROUP_LISTS.searchOutcome],
    ['tips', 'source_type', GROUP_LISTS.tipSource],
    ['tips', 'outcome', GROUP_LISTS.tipOutcome],
  ] as const)(
    '%s.%s takes its closed list only, and its rule names the list, not the value',
    (feed, column, list) => {
      for (const value of list.values) expect(accepted(feed, { [column]: value })[column]).toBe(value)
      const result = check(feed, { [column]: 'Jane Quartermaine 07700 900123' })
      expect(result.ok).toBe(false)
      if (result.ok) return
      expect(result.issues).toEqual([
        {
          column,
          reason: `unknown value "Jane Quartermaine 07700 900123"; expected in the list "${list.name}"`,
          rule: `is not in the list "${list.name}"`,
        },
      ])
      // the list is documented where the column is (the Glue table's column comment derives from it)
      const documented = columnsOf(CONTRACTS[feed].schema).find((c) => c.name === column)?.description
      expect(documented).toBe(`${list.name}: ${list.values.join(', ')}`)
    },
  )

  it('accepts LSOA codes of both vintages and refuses anything else', () => {
    // ONS centroid files: E01000914 is in both vintages, E01033583 and W01000001 only in 2011,
    // E01035722 and W01002040 only in 2021
    for (const code of ['E01000914', 'E01033583', 'W01000001', 'E01035722', 'W01002040']) {
      expect(accepted('incidents', { lsoa_code: code }).lsoa_code).toBe(code)
    }
    for (const code of ['E1000914', 'E010009140', 'E0100091', 'X01000914', 'e01000914', 'E01 000914']) {
      refused('incidents', { lsoa_code: code }, 'lsoa_code', /not an LSOA code/)
    }
    // an MSOA (E02) or output area (E00) code is not an LSOA code
    refused('incidents', { lsoa_code: 'E02000001' }, 'lsoa_code', /not an LSOA code/)
    refused('incidents', { lsoa_code: 'E00000001' }, 'lsoa_code', /not an LSOA code/)
  })

  it('refuses a value that is not a boolean', () => {
    for (const word of ['true', 'TRUE', 'yes', 'Y', '1', 't'])
      expect(accepted('incidents', { domestic: word }).domestic).toBe(true)
    for (const word of ['false', 'No', 'n', '0', 'F'])
      expect(accepted('incidents', { domestic: word }).domestic).toBe(false)
    refused('incidents', { domestic: 'maybe' }, 'domestic', /not a boolean/)
    refused('patrol_allocations', { assigned: '2' }, 'assigned', /not a boolean/)
    refused('stop_searches', { outcome_linked: 'unknown' }, 'outcome_linked')
  })
})

describe('feed contracts: patrol visits and survey answers', () => {
  it('refuses negative and zero durations, naming ended_at', () => {
    refused(
      'patrol_visits',
      { started_at: '2026-05-01T10:00:00+01:00', ended_at: '2026-05-01T09:59:00+01:00' },
      'ended_at',
      /not after started_at/,
    )
    refused('patrol_visits', { ended_at: '2026-05-01T10:00:00+01:00' }, 'ended_at', /not after started_at/)
  })

  it('accepts a visit of exactly 12 h and refuses one longer', () => {
    expect(accepted('patrol_visits', { ended_at: '2026-05-01T22:00:00+01:00' }).ended_at).toBe(
      Date.UTC(2026, 4, 1, 21),
    )
    refused('patrol_visits', { ended_at: '2026-05-01T22:00:01+01:00' }, 'ended_at', /longer than 12 hours/)
    refused('patrol_visits', { ended_at: '2026-05-01T23:00:00+01:00' }, 'ended_at', /longer than 12 hours/)
  })

  it('refuses officer counts below 1', () => {
    refused('patrol_visits', { officers: '0' }, 'officers')
    refused('patrol_visits', { officers: '1.5' }, 'officers', /not an integer/)
  })

  it('accepts answers 1..7 and refuses 0, 8 and fractions, naming the question', () => {
    for (const q of ['q_ease', 'q_actions', 'q_informed', 'q_treatment', 'q_overall']) {
      expect(accepted('survey_responses', { [q]: '1' })[q]).toBe(1)
      expect(accepted('survey_responses', { [q]: '7' })[q]).toBe(7)
      refused('survey_responses', { [q]: '0' }, q, /outside 1\.\.7/)
      refused('survey_responses', { [q]: '8' }, q, /outside 1\.\.7/)
      refused('survey_responses', { [q]: '3.5' }, q, /not an integer/)
      refused('survey_responses', { [q]: 'good' }, q)
    }
    // not answered
    expect(accepted('survey_responses', { q_ease: '' }).q_ease).toBeUndefined()
  })
})

describe('feed contracts: locations', () => {
  it('refuses lat without lon and lon without lat', () => {
    refused('incidents', { lon: undefined }, 'lon', /together/)
    refused('incidents', { lat: '' }, 'lat', /together/)
    refused('calls', { easting: '532703', lat: undefined, lon: undefined }, 'northing', /together/)
  })

  it('refuses 0,0', () => {
    refused('incidents', { lat: '0', lon: '0' }, 'lat', /0,0/)
    refused('incidents', { lat: '0.000', lon: '-0.0' }, 'lat', /0,0/)
    refused('calls', { lat: undefined, lon: undefined, easting: '0', northing: '0' }, 'easting', /0,0/)
  })

  it('refuses coordinates outside Great Britain', () => {
    refused('incidents', { lat: '48.8566', lon: '2.3522' }, 'lat', /outside Great Britain/) // Paris
    refused('incidents', { lat: '40.7128', lon: '-74.0060' }, 'lat', /outside Great Britain/) // New York
    refused('tips', { lat: '-51.5136', lon: '-0.0890' }, 'lat', /outside Great Britain/) // sign slip
    refused('incidents', { lat: '53.3498', lon: '-6.2603' }, 'lat', /outside Great Britain/) // Dublin
    refused(
      'calls',
      { lat: undefined, lon: undefined, easting: '671109', northing: '123965' },
      'easting',
      /outside/,
    ) // Calais
    refused(
      'calls',
      { lat: undefined, lon: undefined, easting: '750000', northing: '200000' },
      'easting',
      /outside/,
    )
    refused('calls', { lat: '91', lon: '0' }, 'lat', /outside -90\.\.90/)
  })

  it('incidents need coordinates unless location_description is exactly No Location', () => {
    const noCoordinates = { lat: undefined, lon: undefined }
    const row = accepted('incidents', { ...noCoordinates, location_description: 'No Location' })
    expect(row.easting).toBeUndefined()
    refused('incidents', noCoordinates, 'lat', /No Location/)
    refused('incidents', { ...noCoordinates, location_description: 'On or near High Street' }, 'lat')
    refused('incidents', { ...noCoordinates, location_description: 'no location' }, 'lat')
  })

  it('calls need coordinates; stop-searches and arrests may have none', () => {
    refused('calls', { lat: undefined, lon: undefined }, 'lat', /location is required/)
    expect(accepted('stop_searches').easting).toBeUndefined()
    expect(accepted('arrests').easting).toBeUndefined()
    expect(accepted('stop_searches', CITY).easting).toBeGreaterThan(500_000)
  })

  it('tips need coordinates or a hotspot_id', () => {
    refused('tips', { hotspot_id: undefined }, 'hotspot_id', /coordinates or hotspot_id/)
    expect(accepted('tips', { hotspot_id: undefined, ...CITY }).easting).toBeGreaterThan(500_000)
    expect(accepted('tips').hotspot_id).toBe('HS-01')
  })
})

describe('feed contracts: columns and versions', () => {
  it('exposes each column with its kind and whether it is required', () => {
    const incidents = columnsOf(CONTRACTS.incidents.schema)
    const byName = new Map(incidents.map((c) => [c.name, c]))
    expect(byName.get('reported_at')).toMatchObject({ kind: 'timestamp', required: true })
    expect(byName.get('occurred_at')).toMatchObject({ kind: 'timestamp', required: false })
    expect(byName.get('incident_id')).toMatchObject({ kind: 'string', required: true })
    expect(byName.get('crime_type')).toMatchObject({ kind: 'string', required: true })
    expect(byName.get('domestic')).toMatchObject({ kind: 'boolean', required: false })
    expect(byName.get('lat')).toMatchObject({ kind: 'double', required: false })
    expect(byName.get('easting')).toMatchObject({ kind: 'int', required: false })
    const visits = new Map(columnsOf(CONTRACTS.patrol_visits.schema).map((c) => [c.name, c]))
    expect(visits.get('officers')).toMatchObject({ kind: 'int', required: false })
    expect(visits.get('ended_at')).toMatchObject({ kind: 'timestamp', required: true })
    const allocations = new Map(columnsOf(CONTRACTS.patrol_allocations.schema).map((c) => [c.name, c]))
    expect(allocations.get('date')).toMatchObject({ kind: 'date', required: true })
    expect(allocations.get('assigned')).toMatchObject({ kind: 'boolean', required: true })
  })

  it.each(FEED_NAMES)('%s: required columns are those of DESIGN section 3', (feed) => {
    const required = columnsOf(CONTRACTS[feed].schema)
      .filter((c) => c.required)
      .map((c) => c.name)
    expect(required.sort()).toEqual([...REQUIRED[feed]].sort())
  })

  it.each(FEED_NAMES)('%s: version, key and curated columns are consistent', (feed) => {
    const contract = CONTRACTS[feed]
    expect(contract.feed).toBe(feed)
    expect(Number.isInteger(contract.version) && contract.version >= 1).toBe(true)
    const names = columnsOf(contract.schema).map((c) => c.name)
    for (const key of contract.key) expect(names).toContain(key)
    // personal columns may appear in a drop's header but are never columns of the contract
    for (const personal of contract.personalColumns) expect(names).not.toContain(personal)
    const curated = curatedColumns(contract)
    expect(curated.map((c) => c.name).slice(names.length)).toEqual([
      ...(contract.ingestColumns ?? []).map((c) => c.name),
      'drop_id',
      'drop_date',
      'source_line',
      'ingested_at',
      'key_derived',
    ])
    expect(new Set(curated.map((c) => c.name)).size).toBe(curated.length)
    expect(curated.find((c) => c.name === 'drop_date')).toMatchObject({ kind: 'date', required: true })
    expect(curated.find((c) => c.name === 'source_line')).toMatchObject({ kind: 'int', required: true })
    for (const column of curated) {
      expect(['string', 'timestamp', 'date', 'int', 'double', 'boolean']).toContain(column.kind)
    }
  })

  it('has lineage columns required in every curated row', () => {
    expect(LINEAGE_COLUMNS.every((c) => c.required)).toBe(true)
  })

  it('survey contracts list phone numbers and names as personal columns', () => {
    for (const column of ['phone', 'phone_number', 'name', 'first_name', 'last_name']) {
      expect(CONTRACTS.survey_responses.personalColumns).toContain(column)
    }
  })

  it('contractFor refuses an unknown feed', () => {
    expect(() => contractFor('crimes')).toThrow(/unknown feed "crimes"/)
    expect(contractFor('tips')).toBe(CONTRACTS.tips)
  })
})
