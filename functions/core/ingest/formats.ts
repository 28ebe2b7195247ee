import { columnsOf } from '../contracts/columns.ts'
import type { FeedContract, FeedName } from '../contracts/feeds.ts'
import type { RawRow } from '../contracts/validate.ts'
import { parseDate } from '../time/days.ts'
import { londonMidnight } from '../time/london.ts'

export const FORMAT_NAMES = ['csv', 'jsonl', 'police-uk-street', 'police-uk-stop-search'] as const
export type FormatName = (typeof FORMAT_NAMES)[number]

/** A drop that cannot be read at all: nothing of it is accepted, and the reason is reported. */
export class FileRejectedError extends Error {
  override name = 'FileRejectedError'
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: rejected: ${reason}`)
  }
}

export interface MappedRecord {
  raw: RawRow
  /** The record has no natural key: its key column holds an id derived from (drop, line). */
  keyDerived: boolean
}

/** Maps a drop's records onto its feed contract, as bound to one file's header. */
export interface RecordMapper {
  /** Number of fields every CSV record must have (0 for JSON Lines). */
  fieldCount: number
  map(fields: string[], line: number): MappedRecord
  /** The drop's own name for a contract column, for messages a sender can act on. */
  sourceColumn(column: string): string
  /** The header carries personal data: raw text of unreadable rows is not copied to quarantine. */
  carriesPersonalData: boolean
}

export interface BindContext {
  file: string
  dropId: string
  /** First line of the header, for messages. */
  headerLine: number
}

/**
 * The unknown names of a header, or only where they stand when the feed's refusals may not repeat what a drop
 * holds: a file without its header line has a row there, and a survey's row holds a name and a phone number.
 */
function unknownColumns(contract: FeedContract, names: string[], unknown: string[]): string {
  if (!contract.redactRefusals) return `unknown column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}`
  const fields = names.flatMap((name, i) => (unknown.includes(name) ? [i + 1] : []))
  return (
    `${unknown.length} unknown column name${unknown.length === 1 ? '' : 's'} (field${fields.length === 1 ? '' : 's'} ` +
    `${fields.join(', ')} of the header line; not repeated: ${contract.feed} drops may carry personal data)`
  )
}

function derivedId(dropId: string, line: number): string {
  return `${dropId}:${line}`
}

function duplicateNames(header: string[]): string[] {
  return header.filter((name, i) => header.indexOf(name) !== i)
}

/** Canonical CSV: snake_case headers naming contract columns, in any order. */
function bindCanonicalCsv(contract: FeedContract, header: string[], context: BindContext): RecordMapper {
  const columns = columnsOf(contract.schema)
  const known = new Set(columns.map((c) => c.name))
  const personal = new Set(contract.personalColumns)
  const names = header.map((h) => h.trim())
  const unknown = names.filter((n) => !known.has(n) && !personal.has(n))
  if (unknown.length > 0) {
    throw new FileRejectedError(
      context.file,
      `${unknownColumns(contract, names, unknown)} for feed ${contract.feed} ` +
        `(expected columns: ${columns.map((c) => c.name).join(', ')})` +
        (unknown.length === names.length ? '; is the header line missing?' : ''),
      context.headerLine,
    )
  }
  const dupes = duplicateNames(names)
  if (dupes.length > 0) {
    throw new FileRejectedError(
      context.file,
      `column(s) ${dupes.join(', ')} appear more than once`,
      context.headerLine,
    )
  }
  const missing = columns.filter((c) => c.required && !names.includes(c.name)).map((c) => c.name)
  if (missing.length > 0) {
    throw new FileRejectedError(
      context.file,
      `missing required column(s) ${missing.join(', ')} for feed ${contract.feed}`,
      context.headerLine,
    )
  }
  const stored = names.map((name, index) => ({ name, index })).filter(({ name }) => known.has(name))
  return {
    fieldCount: names.length,
    carriesPersonalData: names.some((n) => personal.has(n)),
    sourceColumn: (column) => column,
    map(fields) {
      const raw: RawRow = {}
      for (const { name, index } of stored) raw[name] = fields[index]
      return { raw, keyDerived: false }
    },
  }
}

interface PoliceUkLayout {
  feed: FeedName
  required: readonly string[]
  optional: readonly string[]
  /** Contract column -> police.uk header. */
  columnOf: Record<string, string>
  map(get: (header: string) => string, dropId: string, line: number): MappedRecord
}

const monthStartCache = new Map<string, string>()

/** data.police.uk gives a month only: the record is placed at the month's first local midnight, in UTC. */
function monthStart(month: string): string {
  let iso = monthStartCache.get(month)
  if (iso === undefined) {
    const first = /^\d{4}-\d{2}$/.test(month.trim()) ? parseDate(`${month.trim()}-01`) : undefined
    iso = first === undefined ? `invalid month ${JSON.stringify(month)}` : londonMidnight(first).toISOString()
    monthStartCache.set(month, iso)
  }
  return iso
}

const POLICE_UK_STREET: PoliceUkLayout = {
  feed: 'incidents',
  required: ['Crime ID', 'Month', 'Longitude', 'Latitude', 'Location', 'Crime type'],
  optional: ['Reported by', 'Falls within', 'LSOA code', 'LSOA name', 'Last outcome category', 'Context'],
  columnOf: {
    incident_id: 'Crime ID',
    reported_at: 'Month',
    crime_type: 'Crime type',
    lat: 'Latitude',
    lon: 'Longitude',
    location_description: 'Location',
    lsoa_code: 'LSOA code',
    lsoa_name: 'LSOA name',
    outcome: 'Last outcome category',
    reported_by: 'Reported by',
    falls_within: 'Falls within',
    context: 'Context',
  },
  map(get, dropId, line) {
    const crimeId = get('Crime ID').trim()
    return {
      keyDerived: crimeId === '',
      raw: {
        incident_id: crimeId === '' ? derivedId(dropId, line) : crimeId,
        reported_at: monthStart(get('Month')),
        period_precision: 'month',
        crime_type: get('Crime type'),
        lat: get('Latitude'),
        lon: get('Longitude'),
        location_description: get('Location'),
        lsoa_code: get('LSOA code'),
        lsoa_name: get('LSOA name'),
        outcome: get('Last outcome category'),
        reported_by: get('Reported by'),
        falls_within: get('Falls within'),
        context: get('Context'),
      },
    }
  },
}

const POLICE_UK_STOP_SEARCH: PoliceUkLayout = {
  feed: 'stop_searches',
  required: ['Type', 'Date', 'Latitude', 'Longitude'],
  optional: [
    'Part of a policing operation',
    'Policing operation',
    'Gender',
    'Age range',
    'Self-defined ethnicity',
    'Officer-defined ethnicity',
    'Legislation',
    'Object of search',
    'Outcome',
    'Outcome linked to object of search',
    'Removal of more than just outer clothing',
  ],
  columnOf: {
    searched_at: 'Date',
    type: 'Type',
    part_of_operation: 'Part of a policing operation',
    operation: 'Policing operation',
    lat: 'Latitude',
    lon: 'Longitude',
    gender: 'Gender',
    age_range: 'Age range',
    self_defined_ethnicity: 'Self-defined ethnicity',
    officer_defined_ethnicity: 'Officer-defined ethnicity',
    legislation: 'Legislation',
    object_of_search: 'Object of search',
    outcome: 'Outcome',
    outcome_linked: 'Outcome linked to object of search',
    removal_of_more_than_outer_clothing: 'Removal of more than just outer clothing',
  },
  map(get, dropId, line) {
    // stop-and-search rows carry no id, and identical rows are separate searches (people searched together)
    return {
      keyDerived: true,
      raw: {
        search_id: derivedId(dropId, line),
        searched_at: get('Date'),
        type: get('Type'),
        part_of_operation: get('Part of a policing operation'),
        operation: get('Policing operation'),
        lat: get('Latitude'),
        lon: get('Longitude'),
        gender: get('Gender'),
        age_range: get('Age range'),
        self_defined_ethnicity: get('Self-defined ethnicity'),
        officer_defined_ethnicity: get('Officer-defined ethnicity'),
        legislation: get('Legislation'),
        object_of_search: get('Object of search'),
        outcome: get('Outcome'),
        outcome_linked: get('Outcome linked to object of search'),
        removal_of_more_than_outer_clothing: get('Removal of more than just outer clothing'),
      },
    }
  },
}

function bindPoliceUk(
  layout: PoliceUkLayout,
  contract: FeedContract,
  header: string[],
  context: BindContext,
): RecordMapper {
  const format = layout === POLICE_UK_STREET ? 'police-uk-street' : 'police-uk-stop-search'
  if (contract.feed !== layout.feed) {
    throw new FileRejectedError(context.file, `format ${format} feeds ${layout.feed}, not ${contract.feed}`)
  }
  const names = header.map((h) => h.trim())
  const known = new Set([...layout.required, ...layout.optional])
  const unknown = names.filter((n) => !known.has(n))
  const missing = layout.required.filter((r) => !names.includes(r))
  if (unknown.length > 0 || missing.length > 0) {
    const problems = [
      unknown.length > 0 ? `unknown column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}` : '',
      missing.length > 0 ? `missing column(s) ${missing.join(', ')}` : '',
    ].filter(Boolean)
    throw new FileRejectedError(
      context.file,
      `not a ${format} file: ${problems.join('; ')}`,
      context.headerLine,
    )
  }
  const dupes = duplicateNames(names)
  if (dupes.length > 0) {
    throw new FileRejectedError(
      context.file,
      `column(s) ${dupes.join(', ')} appear more than once`,
      context.headerLine,
    )
  }
  const index = new Map(names.map((name, i) => [name, i]))
  return {
    fieldCount: names.length,
    carriesPersonalData: false,
    sourceColumn: (column) => layout.columnOf[column] ?? column,
    map(fields, line) {
      return layout.map(
        (name) => {
          const i = index.get(name)
          return i === undefined ? '' : (fields[i] ?? '')
        },
        context.dropId,
        line,
      )
    },
  }
}

/** A key of a JSON Lines object that the contract cannot take: unknown, or known with an object or array value. */
export interface StrayKey {
  key: string
  /** 1-based position of the key in its object. */
  position: number
  known: boolean
}

/** JSON Lines: one object per line with contract column names; personal keys are dropped. */
export function bindJsonl(
  contract: FeedContract,
): RecordMapper & { fromObject(o: Record<string, unknown>): MappedRecord | StrayKey } {
  const known = new Set(columnsOf(contract.schema).map((c) => c.name))
  const personal = new Set(contract.personalColumns)
  return {
    fieldCount: 0,
    carriesPersonalData: contract.personalColumns.length > 0,
    sourceColumn: (column) => column,
    map: () => {
      throw new Error('JSON Lines records are mapped with fromObject')
    },
    fromObject(object) {
      const raw: RawRow = {}
      let position = 0
      for (const name in object) {
        position++
        if (personal.has(name)) continue
        if (!known.has(name)) return { key: name, position, known: false }
        const value = object[name]
        if (value !== null && typeof value === 'object') return { key: name, position, known: true }
        // the contract parses text; JSON numbers and booleans are given as their JSON spelling
        raw[name] = value === null || typeof value === 'string' ? value : String(value)
      }
      return { raw, keyDerived: false }
    },
  }
}

/** The feeds a police.uk layout feeds: the only ones whose rows may have a derived key (contract `derivedKeys`). */
export const POLICE_UK_FEEDS: readonly FeedName[] = [POLICE_UK_STREET.feed, POLICE_UK_STOP_SEARCH.feed]

/** The police.uk layout a header belongs to, if any. */
export function detectFormat(header: string[]): FormatName {
  const names = new Set(header.map((h) => h.trim()))
  if (names.has('Crime ID') && names.has('Month') && names.has('Crime type')) return 'police-uk-street'
  if (names.has('Object of search') && names.has('Date') && names.has('Type')) return 'police-uk-stop-search'
  return 'csv'
}

export function bindCsv(
  format: FormatName,
  contract: FeedContract,
  header: string[],
  context: BindContext,
): RecordMapper {
  switch (format) {
    case 'police-uk-street':
      return bindPoliceUk(POLICE_UK_STREET, contract, header, context)
    case 'police-uk-stop-search':
      return bindPoliceUk(POLICE_UK_STOP_SEARCH, contract, header, context)
    case 'csv':
      return bindCanonicalCsv(contract, header, context)
    case 'jsonl':
      throw new Error('JSON Lines drops have no header')
  }
}
