import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Column } from '../contracts/columns.ts'
import { CRIME_TYPES } from '../contracts/feeds.ts'
import { referenceKey } from '../lake.ts'
import { writeParquetTable } from '../parquet/writer.ts'
import { type Clock, type ObjectStore, systemClock } from '../ports.ts'
import { ReferenceDataError } from './errors.ts'
import { loadOnce, type ReferenceLoadResult } from './manifest.ts'
import { lineOf, readReferenceCsv } from './reference-csv.ts'

/** Version of the weights file contract: `crime_type[,offence_code],days`, one row per weight. */
export const WEIGHTS_FORMAT_VERSION = 1

/** The shipped default: the derived Cambridge Crime Harm Index table (see the comment at the top of the file). */
export const DEFAULT_WEIGHTS_FILE = fileURLToPath(new URL('./default-weights.csv', import.meta.url))

export type CrimeType = (typeof CRIME_TYPES)[number]

export const ANTI_SOCIAL_BEHAVIOUR: CrimeType = 'Anti-social behaviour'

const REQUIRED_COLUMNS = ['crime_type', 'days'] as const
const KNOWN_COLUMNS = new Set<string>([...REQUIRED_COLUMNS, 'offence_code'])
const HEADER_HINT = 'the header must name the columns crime_type[,offence_code],days'
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

export interface HarmWeight {
  crime_type: CrimeType
  /** Home Office offence code; null for the weight of the whole category. */
  offence_code: string | null
  /** Crime Harm Index days (0 = counted but not harmed). */
  days: number
}

/** The harm_weights table, written to `reference/harm_weights/<weights version>.parquet`. */
export const HARM_WEIGHT_COLUMNS: Column[] = [
  { name: 'crime_type', kind: 'string', required: true, description: 'data.police.uk category' },
  {
    name: 'offence_code',
    kind: 'string',
    required: false,
    description: 'Home Office offence code; null = whole category',
  },
  { name: 'days', kind: 'double', required: true, description: 'harm weight in Crime Harm Index days' },
  {
    name: 'weights_version',
    kind: 'string',
    required: true,
    description: "w- and 16 hex digits of the file's sha256",
  },
]

export interface ParsedWeights {
  weights: HarmWeight[]
  /** Whether the file listed anti-social behaviour itself or it was added with 0 days. */
  antiSocialBehaviour: 'given' | 'added'
}

/** A record from csv-parse with `info: true`; `info.lines` is the line the record ends on. */

/**
 * Validates a weights file: a header, then one row per (crime_type, offence_code) with days >= 0. Lines starting
 * with `#` are comments. Every crime type needs a category weight (a row without an offence code), so no
 * incident goes without a harm figure by accident.
 *
 * Anti-social behaviour is not a notifiable crime (DESIGN section 3): it is counted but carries no harm. A file
 * may list it, with 0 days only; a file that leaves it out gets it added with 0 days, so the table always
 * covers all 14 categories.
 */
export function parseWeights(text: string, file: string): ParsedWeights {
  const [headerRecord, ...rows] = readReferenceCsv(text, file)
  if (headerRecord === undefined) throw new ReferenceDataError(file, [], `is empty; ${HEADER_HINT}`)
  const header = headerRecord.record
  const at = (line: number, column?: string) =>
    column ? [`line ${line}`, `column ${column}`] : [`line ${line}`]
  const headerLine = lineOf(headerRecord)
  for (const name of header) {
    if (!KNOWN_COLUMNS.has(name)) {
      throw new ReferenceDataError(file, at(headerLine, name), `unknown column; ${HEADER_HINT}`)
    }
  }
  for (const name of REQUIRED_COLUMNS) {
    if (!header.includes(name))
      throw new ReferenceDataError(file, at(headerLine), `no ${name} column; ${HEADER_HINT}`)
  }
  if (new Set(header).size !== header.length) {
    throw new ReferenceDataError(file, at(headerLine), `a column is named twice; ${HEADER_HINT}`)
  }

  const weights: HarmWeight[] = []
  const firstLineOf = new Map<string, number>()
  for (const row of rows) {
    const line = lineOf(row)
    if (row.record.length !== header.length) {
      throw new ReferenceDataError(
        file,
        at(line),
        `${row.record.length} fields, but the header has ${header.length}`,
      )
    }
    const field = (name: string) => row.record[header.indexOf(name)] ?? ''
    const crimeType = field('crime_type')
    if (!(CRIME_TYPES as readonly string[]).includes(crimeType)) {
      throw new ReferenceDataError(
        file,
        at(line, 'crime_type'),
        `unknown crime type ${JSON.stringify(crimeType)}; expected one of ${CRIME_TYPES.join(', ')}`,
      )
    }
    const offenceCode = field('offence_code') === '' ? null : field('offence_code')
    if (offenceCode !== null && offenceCode.length > 20) {
      throw new ReferenceDataError(file, at(line, 'offence_code'), 'is longer than 20 characters')
    }
    const daysText = field('days')
    const days = NUMBER_TEXT.test(daysText) ? Number(daysText) : Number.NaN
    if (!Number.isFinite(days)) {
      throw new ReferenceDataError(
        file,
        at(line, 'days'),
        `${JSON.stringify(daysText)} is not a number of days`,
      )
    }
    if (days < 0) throw new ReferenceDataError(file, at(line, 'days'), `${daysText} is negative`)
    if (crimeType === ANTI_SOCIAL_BEHAVIOUR && days !== 0) {
      throw new ReferenceDataError(
        file,
        at(line, 'days'),
        'anti-social behaviour is not a notifiable crime and must weigh 0 days (counted, not harmed)',
      )
    }
    const key = `${crimeType}\u001f${offenceCode ?? ''}`
    const earlier = firstLineOf.get(key)
    if (earlier !== undefined) {
      throw new ReferenceDataError(
        file,
        at(line, offenceCode === null ? 'crime_type' : 'offence_code'),
        `duplicate of line ${earlier} (${crimeType}${offenceCode === null ? '' : `, ${offenceCode}`})`,
      )
    }
    firstLineOf.set(key, line)
    weights.push({ crime_type: crimeType as CrimeType, offence_code: offenceCode, days })
  }

  const asbGiven = weights.some((w) => w.crime_type === ANTI_SOCIAL_BEHAVIOUR && w.offence_code === null)
  if (!asbGiven) weights.push({ crime_type: ANTI_SOCIAL_BEHAVIOUR, offence_code: null, days: 0 })
  const uncovered = CRIME_TYPES.filter(
    (crimeType) => !weights.some((w) => w.crime_type === crimeType && w.offence_code === null),
  )
  if (uncovered.length > 0) {
    throw new ReferenceDataError(
      file,
      ['column crime_type'],
      `no category weight (a row without offence_code) for ${uncovered.join(', ')}`,
    )
  }
  return { weights, antiSocialBehaviour: asbGiven ? 'given' : 'added' }
}

/**
 * Loads a weights file: the file as given at `reference/harm_weights_source/<version>.csv` and the table at
 * `reference/harm_weights/<version>.parquet`, where the version (`w-` and 16 hex digits of the file's sha256)
 * is the `weights_version` that every harm figure computed with it carries.
 */
export function loadWeights(
  store: ObjectStore,
  file: string,
  clock: Clock = systemClock,
): Promise<ReferenceLoadResult> {
  return loadOnce({
    store,
    clock,
    kind: 'weights',
    file,
    versionPrefix: 'w-',
    prepare: async ({ bytes, text, version, workDir }) => {
      const { weights, antiSocialBehaviour } = parseWeights(text, file)
      const parquetFile = path.join(workDir, 'harm_weights.parquet')
      await writeParquetTable(
        parquetFile,
        HARM_WEIGHT_COLUMNS,
        weights.map((weight) => ({ ...weight, weights_version: version })),
        { weights_version: version },
      )
      return {
        schemaVersion: WEIGHTS_FORMAT_VERSION,
        objects: [
          // the file as given is kept apart from the table: Athena reads every object under a table's location
          {
            key: referenceKey('harm_weights_source', version, 'csv'),
            body: bytes,
            contentType: 'text/csv',
          },
          {
            key: referenceKey('harm_weights', version, 'parquet'),
            body: { file: parquetFile },
            contentType: 'application/vnd.apache.parquet',
          },
        ],
        summary: {
          weights_version: version,
          rows: weights.length,
          offence_code_rows: weights.filter((w) => w.offence_code !== null).length,
          anti_social_behaviour: antiSocialBehaviour,
        },
      }
    },
  })
}
