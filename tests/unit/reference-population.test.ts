import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { parse } from 'csv-parse/sync'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { sharedData } from '../helpers/shared-data.ts'

const clock = fixedClock('2026-06-01T12:00:00Z')
let dir: string
let store: FsObjectStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-population-'))
  store = new FsObjectStore(path.join(dir, 'lake'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function populationFile(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, `${lines.join('\n')}\n`)
  return file
}

async function readTable(parquet: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    return (
      await connection.runAndReadAll(
        `select area_code, ethnicity_group, residents, population_version, cast(loaded_at as varchar) as loaded_at
         from read_parquet('${parquet}') order by area_code, ethnicity_group`,
      )
    ).getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

describe('a population file', () => {
  it('sums Census 2021 TS021 categories into the officer-defined groups, and takes the groups themselves', async () => {
    const file = await populationFile('population.csv', [
      'area_code,ethnicity_group,residents',
      // E09000001 by TS021 detailed categories: Asian 10 + 20 + 5 (Chinese is Asian) = 35; Other 3 + 4 = 7
      'E09000001,"Asian, Asian British or Asian Welsh: Indian",10',
      'E09000001,"Asian, Asian British or Asian Welsh: Bangladeshi",20',
      'E09000001,"Asian, Asian British or Asian Welsh: Chinese",5',
      'E09000001,"Black, Black British, Black Welsh, Caribbean or African: African",8',
      'E09000001,"Mixed or Multiple ethnic groups: White and Asian",6',
      'E09000001,"White: English, Welsh, Scottish, Northern Irish or British",100',
      'E09000001,White: Roma,1',
      'E09000001,Other ethnic group: Arab,3',
      'E09000001,Other ethnic group: Any other ethnic group,4',
      // E09000002 by the five groups themselves, and a TS021 heading (a group whole)
      'E09000002,Asian,50',
      'E09000002,Black,60',
      'E09000002,Mixed,0',
      'E09000002,White,200',
      'E09000002,Other ethnic group,9',
    ])
    const bytes = await readFile(file)
    const version = `p-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`

    const result = await loadReference(store, 'population', file, clock)

    expect(result).toEqual({
      kind: 'population',
      version,
      outcome: 'loaded',
      keys: [`reference/population_source/${version}.csv`, `reference/population/${version}.parquet`],
      summary: {
        population_version: version,
        areas: 2,
        // 35 + 50; 8 + 60; 6 + 0; 7 + 9; 101 + 200
        residents_Asian: 85,
        residents_Black: 68,
        residents_Mixed: 6,
        residents_Other: 16,
        residents_White: 301,
      },
    })
    expect(await store.getBytes(`reference/population_source/${version}.csv`)).toEqual(bytes)
    const row = (area: string, group: string, residents: number) => ({
      area_code: area,
      ethnicity_group: group,
      residents,
      population_version: version,
      loaded_at: '2026-06-01 12:00:00',
    })
    expect(
      await readTable(path.join(store.location, 'reference', 'population', `${version}.parquet`)),
    ).toEqual([
      row('E09000001', 'Asian', 35),
      row('E09000001', 'Black', 8),
      row('E09000001', 'Mixed', 6),
      row('E09000001', 'Other', 7),
      row('E09000001', 'White', 101),
      row('E09000002', 'Asian', 50),
      row('E09000002', 'Black', 60),
      row('E09000002', 'Mixed', 0),
      row('E09000002', 'Other', 9),
      row('E09000002', 'White', 200),
    ])

    const again = await loadReference(store, 'population', file, clock)
    expect(again).toEqual({ ...result, outcome: 'already-loaded' })
  })

  it.each([
    [
      'an unknown category',
      ['E1,Chinese,5'],
      /p\.csv: line 2, column ethnicity_group: unknown category "Chinese"; expected one of Asian, Black, Mixed, Other, White or a Census 2021 TS021 category$/,
    ],
    [
      'negative residents',
      ['E1,White,-3'],
      /p\.csv: line 2, column residents: "-3" is not a whole number of residents \(0 or more\)$/,
    ],
    [
      'a fraction of a resident',
      ['E1,White,2.5'],
      /p\.csv: line 2, column residents: "2\.5" is not a whole number of residents/,
    ],
    ['no residents', ['E1,White,'], /p\.csv: line 2, column residents: "" is not a whole number/],
    [
      'a category twice for one area',
      ['E1,White: Irish,3', 'E2,White: Irish,3', 'E1,White: Irish,4'],
      /p\.csv: line 4, column ethnicity_group: duplicate of line 2 \(E1, White: Irish\)$/,
    ],
    [
      'a group whole and by its categories',
      ['E1,White: Irish,3', 'E1,White,40'],
      /p\.csv: line 3, column ethnicity_group: E1's White residents are already counted on line 2; give a group whole or by its categories, not both$/,
    ],
    [
      'a group by its name and by its TS021 heading',
      ['E1,Asian,3', 'E1,"Asian, Asian British or Asian Welsh",3'],
      /p\.csv: line 3, column ethnicity_group: E1's Asian residents are already counted on line 2/,
    ],
    ['a missing area', [',White,3'], /p\.csv: line 2, column area_code: must be 1 to 100 characters/],
    ['a short row', ['E1,White'], /p\.csv: line 2: 2 fields, but the header has 3$/],
  ])('is refused for %s, naming the file, line and field', async (_, rows, message) => {
    const file = await populationFile('p.csv', ['area_code,ethnicity_group,residents', ...rows])
    await expect(loadReference(store, 'population', file, clock)).rejects.toThrow(message)
    const keys: string[] = []
    for await (const { key } of store.list('')) keys.push(key)
    expect(keys).toEqual([])
  })

  it('is refused with an unexpected header or no rows', async () => {
    const wrong = await populationFile('p.csv', ['area,group,people', 'E1,White,3'])
    await expect(loadReference(store, 'population', wrong, clock)).rejects.toThrow(
      /p\.csv: line 1: unexpected header; the header must be area_code,ethnicity_group,residents$/,
    )
    const empty = await populationFile('e.csv', ['area_code,ethnicity_group,residents'])
    await expect(loadReference(store, 'population', empty, clock)).rejects.toThrow(/e\.csv: has no rows$/)
  })
})

const { path: LOCAL_AUTHORITIES, present: HAVE_LOCAL_AUTHORITIES } = sharedData(
  'population/census2011_local_authority_ethnic_group.csv',
  'the real-population test',
)

describe.skipIf(!HAVE_LOCAL_AUTHORITIES)('real census counts by local authority (2011)', () => {
  it('load with every resident in exactly one group: the five totals sum to all residents', async () => {
    // the Nomis layout: one column per group total; the 2021 TS021 headings name the same five groups
    const records = parse(await readFile(LOCAL_AUTHORITIES), { columns: true, bom: true }) as Record<
      string,
      string
    >[]
    const column = (group: string) => `Ethnic Group: ${group}; measures: Value`
    const groups = ['Asian', 'Black', 'Mixed', 'Other', 'White']
    const lines = ['area_code,ethnicity_group,residents']
    for (const record of records) {
      for (const group of groups) lines.push(`"${record.geography}",${group},${record[column(group)]}`)
    }
    const file = await populationFile('la2011.csv', lines)

    const result = await loadReference(store, 'population', file, clock)

    const all = records.reduce(
      (sum, record) => sum + Number(record[column('All categories: Ethnic group')]),
      0,
    )
    const loaded = groups.reduce((sum, group) => sum + Number(result.summary[`residents_${group}`]), 0)
    expect(result.summary.areas).toBe(records.length)
    expect(loaded).toBe(all)
    const city = records.find((record) => record.geography === 'City of London')
    expect(city?.[column('All categories: Ethnic group')]).toBe('7375')
  })
})
