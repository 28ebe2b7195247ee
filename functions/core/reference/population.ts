import path from 'node:path'
import type { Column } from '../contracts/columns.ts'
import { GROUP_LISTS } from '../contracts/feeds.ts'
import { referenceKey } from '../lake.ts'
import { writeParquetTable } from '../parquet/writer.ts'
import { type Clock, type ObjectStore, systemClock } from '../ports.ts'
import { ReferenceDataError } from './errors.ts'
import { loadOnce, type ReferenceLoadResult } from './manifest.ts'
import { lineOf, readReferenceCsv } from './reference-csv.ts'

/** Version of the population file contract: `area_code,ethnicity_group,residents`, one row per area and category. */
export const POPULATION_FORMAT_VERSION = 1

/** police.uk's officer-defined ethnicity: the groups stop-and-search records carry and the ratio compares. */
export type OfficerGroup = (typeof GROUP_LISTS.officerDefinedEthnicity.values)[number]

/**
 * Census 2021 TS021 categories (ONS 2021 ethnic group, its 5 headings and 19 detailed categories, in ONS's
 * wording) and the officer-defined group each counts in. Chinese people are Asian both in the 2021 Census and in
 * officers' codes; Arab is in Other in both. A file may give these names or the five groups themselves.
 */
export const TS021_GROUPS: Readonly<Record<string, OfficerGroup>> = {
  'Asian, Asian British or Asian Welsh': 'Asian',
  'Asian, Asian British or Asian Welsh: Bangladeshi': 'Asian',
  'Asian, Asian British or Asian Welsh: Chinese': 'Asian',
  'Asian, Asian British or Asian Welsh: Indian': 'Asian',
  'Asian, Asian British or Asian Welsh: Pakistani': 'Asian',
  'Asian, Asian British or Asian Welsh: Other Asian': 'Asian',
  'Black, Black British, Black Welsh, Caribbean or African': 'Black',
  'Black, Black British, Black Welsh, Caribbean or African: African': 'Black',
  'Black, Black British, Black Welsh, Caribbean or African: Caribbean': 'Black',
  'Black, Black British, Black Welsh, Caribbean or African: Other Black': 'Black',
  'Mixed or Multiple ethnic groups': 'Mixed',
  'Mixed or Multiple ethnic groups: White and Asian': 'Mixed',
  'Mixed or Multiple ethnic groups: White and Black African': 'Mixed',
  'Mixed or Multiple ethnic groups: White and Black Caribbean': 'Mixed',
  'Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups': 'Mixed',
  White: 'White',
  'White: English, Welsh, Scottish, Northern Irish or British': 'White',
  'White: Irish': 'White',
  'White: Gypsy or Irish Traveller': 'White',
  'White: Roma': 'White',
  'White: Other White': 'White',
  'Other ethnic group': 'Other',
  'Other ethnic group: Arab': 'Other',
  'Other ethnic group: Any other ethnic group': 'Other',
}

const OFFICER_GROUPS: readonly OfficerGroup[] = GROUP_LISTS.officerDefinedEthnicity.values

/** The group a category counts in: one of the five groups itself, or a TS021 name. */
function groupOf(category: string): OfficerGroup | undefined {
  return (OFFICER_GROUPS as readonly string[]).includes(category)
    ? (category as OfficerGroup)
    : TS021_GROUPS[category]
}

const COLUMNS = ['area_code', 'ethnicity_group', 'residents'] as const
const HEADER_HINT = 'the header must be area_code,ethnicity_group,residents'
const WHOLE_NUMBER = /^\d+$/
const MAX_AREA_CODE = 100

/** One area's residents in one officer-defined group (its TS021 categories summed). */
export interface PopulationRow {
  area_code: string
  ethnicity_group: OfficerGroup
  residents: number
}

/** The population table, written to `reference/population/<version>.parquet`; the marts read the latest loaded. */
export const POPULATION_COLUMNS: Column[] = [
  { name: 'area_code', kind: 'string', required: true, description: 'area (LSOA, borough or force code)' },
  {
    name: 'ethnicity_group',
    kind: 'string',
    required: true,
    description: "police.uk officer-defined ethnicity the residents' census categories map to",
  },
  { name: 'residents', kind: 'int', required: true, description: 'usual residents (census)' },
  {
    name: 'population_version',
    kind: 'string',
    required: true,
    description: "p- and 16 hex digits of the file's sha256",
  },
  {
    name: 'loaded_at',
    kind: 'timestamp',
    required: true,
    description: 'when this version was loaded (the latest loaded is the one used)',
  },
]

/**
 * Validates a population file and sums its categories into the five officer-defined groups. Every row names an
 * area, a category (a group or a TS021 name, TS021_GROUPS) and a whole number of residents. A category given
 * twice for an area, or a group given both whole and by its detailed categories, would count people twice: both
 * are refused, as is any category outside the list (it would silently drop out of every denominator).
 */
export function parsePopulation(text: string, file: string): PopulationRow[] {
  const [headerRecord, ...rows] = readReferenceCsv(text, file)
  if (headerRecord === undefined) throw new ReferenceDataError(file, [], `is empty; ${HEADER_HINT}`)
  const header = headerRecord.record
  if (header.length !== COLUMNS.length || COLUMNS.some((name, i) => header[i] !== name)) {
    throw new ReferenceDataError(file, [`line ${lineOf(headerRecord)}`], `unexpected header; ${HEADER_HINT}`)
  }
  const residentsOf = new Map<string, PopulationRow>()
  /** Per area and group: the line that gave the group whole, or the lines of its detailed categories. */
  const firstLineOf = new Map<string, { line: number; whole: boolean }>()
  const categoryLine = new Map<string, number>()
  for (const row of rows) {
    const line = lineOf(row)
    const at = (column: string) => [`line ${line}`, `column ${column}`]
    if (row.record.length !== COLUMNS.length) {
      throw new ReferenceDataError(
        file,
        [`line ${line}`],
        `${row.record.length} fields, but the header has ${COLUMNS.length}`,
      )
    }
    const [areaCode = '', category = '', residentsText = ''] = row.record
    if (areaCode === '' || areaCode.length > MAX_AREA_CODE || /\p{Cc}/u.test(areaCode)) {
      throw new ReferenceDataError(
        file,
        at('area_code'),
        `must be 1 to ${MAX_AREA_CODE} characters on one line`,
      )
    }
    const group = groupOf(category)
    if (group === undefined) {
      throw new ReferenceDataError(
        file,
        at('ethnicity_group'),
        `unknown category ${JSON.stringify(category)}; expected one of ${OFFICER_GROUPS.join(', ')} or a Census 2021 TS021 category`,
      )
    }
    if (!WHOLE_NUMBER.test(residentsText) || !Number.isSafeInteger(Number(residentsText))) {
      throw new ReferenceDataError(
        file,
        at('residents'),
        `${JSON.stringify(residentsText)} is not a whole number of residents (0 or more)`,
      )
    }
    const categoryKey = `${areaCode}\u001f${category}`
    const earlierCategory = categoryLine.get(categoryKey)
    if (earlierCategory !== undefined) {
      throw new ReferenceDataError(
        file,
        at('ethnicity_group'),
        `duplicate of line ${earlierCategory} (${areaCode}, ${category})`,
      )
    }
    categoryLine.set(categoryKey, line)
    const groupKey = `${areaCode}\u001f${group}`
    const whole = category === group || !category.includes(':')
    const earlier = firstLineOf.get(groupKey)
    if (earlier !== undefined && (earlier.whole || whole)) {
      throw new ReferenceDataError(
        file,
        at('ethnicity_group'),
        `${areaCode}'s ${group} residents are already counted on line ${earlier.line}; give a group whole or by its categories, not both`,
      )
    }
    if (earlier === undefined) firstLineOf.set(groupKey, { line, whole })
    const counted = residentsOf.get(groupKey)
    const residents = Number(residentsText) + (counted?.residents ?? 0)
    if (residents > 2 ** 31 - 1) {
      throw new ReferenceDataError(file, at('residents'), `${areaCode}'s ${group} residents exceed 2^31 - 1`)
    }
    residentsOf.set(groupKey, { area_code: areaCode, ethnicity_group: group, residents })
  }
  if (residentsOf.size === 0) throw new ReferenceDataError(file, [], 'has no rows')
  return [...residentsOf.values()]
}

/**
 * Loads a population file: the file as given at `reference/population_source/<version>.csv` and the table of
 * residents per area and officer-defined group at `reference/population/<version>.parquet`.
 */
export function loadPopulation(
  store: ObjectStore,
  file: string,
  clock: Clock = systemClock,
): Promise<ReferenceLoadResult> {
  return loadOnce({
    store,
    clock,
    kind: 'population',
    file,
    versionPrefix: 'p-',
    prepare: async ({ bytes, text, version, workDir }) => {
      const rows = parsePopulation(text, file)
      const loadedAt = clock.now()
      const parquetFile = path.join(workDir, 'population.parquet')
      await writeParquetTable(
        parquetFile,
        POPULATION_COLUMNS,
        rows.map((row) => ({ ...row, population_version: version, loaded_at: loadedAt.getTime() })),
        { population_version: version },
      )
      const residentsBy = (group: OfficerGroup) =>
        rows.filter((row) => row.ethnicity_group === group).reduce((sum, row) => sum + row.residents, 0)
      return {
        schemaVersion: POPULATION_FORMAT_VERSION,
        objects: [
          // the file as given is kept apart from the table: Athena reads every object under a table's location
          { key: referenceKey('population_source', version, 'csv'), body: bytes, contentType: 'text/csv' },
          {
            key: referenceKey('population', version, 'parquet'),
            body: { file: parquetFile },
            contentType: 'application/vnd.apache.parquet',
          },
        ],
        summary: {
          population_version: version,
          areas: new Set(rows.map((row) => row.area_code)).size,
          ...Object.fromEntries(OFFICER_GROUPS.map((group) => [`residents_${group}`, residentsBy(group)])),
        },
      }
    },
  })
}
