import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference, ReferenceDataError } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE, parseWeights } from '../../functions/core/reference/weights.ts'

const clock = fixedClock('2026-06-01T12:00:00Z')
let dir: string
let store: FsObjectStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-weights-'))
  store = new FsObjectStore(path.join(dir, 'lake'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function weightsFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, text)
  return file
}

/** Category weights for the 13 notifiable categories, as `crime_type,days` lines. */
const ALL_CATEGORIES = [
  'Bicycle theft,2',
  'Burglary,244.68',
  'Criminal damage and arson,11.18',
  'Drugs,3.66',
  'Other crime,10',
  'Other theft,2',
  'Possession of weapons,273.75',
  'Public order,7.5',
  'Robbery,365',
  'Shoplifting,1',
  'Theft from the person,2',
  'Vehicle crime,5',
  'Violence and sexual offences,194.21',
]

describe('the shipped default weights', () => {
  it('load as 14 rows: the 13 derived CCHI categories and anti-social behaviour at 0', async () => {
    const bytes = await readFile(DEFAULT_WEIGHTS_FILE)
    const version = `w-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`

    const result = await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)

    expect(result).toMatchObject({ kind: 'weights', version, outcome: 'loaded' })
    expect(result.keys).toEqual([
      `reference/harm_weights_source/${version}.csv`,
      `reference/harm_weights/${version}.parquet`,
    ])
    expect(result.summary).toEqual({
      weights_version: version,
      rows: 14,
      offence_code_rows: 0,
      anti_social_behaviour: 'given',
    })
    expect(await store.getBytes(`reference/harm_weights_source/${version}.csv`)).toEqual(bytes)

    const instance = await DuckDBInstance.create(':memory:')
    const connection = await instance.connect()
    try {
      const parquet = path.join(store.location, 'reference', 'harm_weights', `${version}.parquet`)
      const rows = (
        await connection.runAndReadAll(
          `select crime_type, offence_code, days, weights_version from read_parquet('${parquet}') order by crime_type`,
        )
      ).getRowObjectsJson()
      expect(rows).toHaveLength(14)
      expect(rows.find((r) => r.crime_type === 'Anti-social behaviour')).toEqual({
        crime_type: 'Anti-social behaviour',
        offence_code: null,
        days: 0,
        weights_version: version,
      })
      expect(rows.find((r) => r.crime_type === 'Robbery')?.days).toBe(365)
      expect(rows.find((r) => r.crime_type === 'Violence and sexual offences')?.days).toBe(194.21)
      expect(new Set(rows.map((r) => r.weights_version))).toEqual(new Set([version]))
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })

  it('say in the file itself that they are derived, not official, and where they come from', async () => {
    const text = await readFile(DEFAULT_WEIGHTS_FILE, 'utf8')
    expect(text).toMatch(/^# .*DERIVED, NOT OFFICIAL/m)
    expect(text).toContain('isthisben/cbl-realcrime')
    expect(text).toContain('5591939d942691fec9e9da6349fa7afbde726b7f')
    expect(text).toContain('Open Government Licence v3.0')
  })

  it('load once: the second load is already-loaded with the same version and writes nothing', async () => {
    const first = await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    const second = await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    expect(second).toEqual({ ...first, outcome: 'already-loaded' })
    const keys: string[] = []
    for await (const { key } of store.list('')) keys.push(key)
    expect(keys).toEqual([...first.keys, `manifests/reference/harm_weights/${first.version}.json`].sort())
  })
})

describe('a weights file', () => {
  it('without anti-social behaviour gets it added with 0 days; offence codes refine a category', () => {
    const { weights, antiSocialBehaviour } = parseWeights(
      [
        'crime_type,offence_code,days',
        ...ALL_CATEGORIES.map((l) => l.replace(',', ',,')),
        'Robbery,34/1,400',
      ].join('\n'),
      'w.csv',
    )
    expect(antiSocialBehaviour).toBe('added')
    expect(weights).toHaveLength(15)
    expect(weights.at(-1)).toEqual({ crime_type: 'Anti-social behaviour', offence_code: null, days: 0 })
    expect(weights.filter((w) => w.crime_type === 'Robbery')).toEqual([
      { crime_type: 'Robbery', offence_code: null, days: 365 },
      { crime_type: 'Robbery', offence_code: '34/1', days: 400 },
    ])
  })

  it('may have its columns in any order, a byte-order mark, comments and blank lines', () => {
    const text = `\uFEFF# my force's weights\ndays,crime_type\n\n${ALL_CATEGORIES.map((l) => l.split(',').reverse().join(',')).join('\n')}\n`
    expect(parseWeights(text, 'w.csv').weights.find((w) => w.crime_type === 'Burglary')?.days).toBe(244.68)
  })

  const bad: [string, string, RegExp][] = [
    [
      'an unknown crime type',
      ['crime_type,days', ...ALL_CATEGORIES.slice(0, 3), 'Knife crime,100', ...ALL_CATEGORIES.slice(3)].join(
        '\n',
      ),
      /^bad\.csv: line 5, column crime_type: unknown crime type "Knife crime"; expected one of Anti-social behaviour, /,
    ],
    [
      'negative days',
      ['# comment first', 'crime_type,days', ...ALL_CATEGORIES.slice(0, 8), 'Robbery,-1'].join('\n'),
      /^bad\.csv: line 11, column days: -1 is negative$/,
    ],
    [
      'days that are not a number',
      ['crime_type,days', 'Robbery,a year'].join('\n'),
      /^bad\.csv: line 2, column days: "a year" is not a number of days$/,
    ],
    [
      'a duplicate row',
      ['crime_type,offence_code,days', 'Robbery,,365', 'Drugs,,3.66', 'Robbery,,300'].join('\n'),
      /^bad\.csv: line 4, column crime_type: duplicate of line 2 \(Robbery\)$/,
    ],
    [
      'a duplicate offence code',
      ['crime_type,offence_code,days', 'Robbery,34/1,365', 'Robbery,34/1,300'].join('\n'),
      /^bad\.csv: line 3, column offence_code: duplicate of line 2 \(Robbery, 34\/1\)$/,
    ],
    [
      'a missing header',
      ALL_CATEGORIES.join('\n'),
      /^bad\.csv: line 1, column Bicycle theft: unknown column; the header must name the columns crime_type\[,offence_code\],days$/,
    ],
    [
      'a header without days',
      ['crime_type,cchi_days', 'Robbery,365'].join('\n'),
      /^bad\.csv: line 1, column cchi_days: unknown column/,
    ],
    [
      'a row with too many fields',
      ['crime_type,days', 'Robbery,365,extra'].join('\n'),
      /^bad\.csv: line 2: 3 fields, but the header has 2$/,
    ],
    [
      'anti-social behaviour with a harm weight',
      ['crime_type,days', 'Anti-social behaviour,1', ...ALL_CATEGORIES].join('\n'),
      /^bad\.csv: line 2, column days: anti-social behaviour is not a notifiable crime and must weigh 0 days/,
    ],
    [
      'a category without a weight',
      [
        'crime_type,offence_code,days',
        ...ALL_CATEGORIES.slice(1).map((l) => l.replace(',', ',,')),
        'Bicycle theft,1A,2',
      ].join('\n'),
      /^bad\.csv: column crime_type: no category weight \(a row without offence_code\) for Bicycle theft$/,
    ],
    [
      'malformed quoting',
      ['crime_type,days', 'Robbery,"36"5'].join('\n'),
      /^bad\.csv: line 2: malformed CSV: Invalid Closing Quote/,
    ],
    ['an empty file', '# only a comment\n', /^bad\.csv: is empty; the header must name the columns/],
  ]

  it.each(bad)('is refused, naming the line and column: %s', async (_, text, message) => {
    const file = await weightsFile('bad.csv', text)
    const error = await loadReference(store, 'weights', file, clock).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ReferenceDataError)
    expect((error as Error).message.replace(`${dir}${path.sep}`, '')).toMatch(message)
    const keys: string[] = []
    for await (const { key } of store.list('')) keys.push(key)
    expect(keys).toEqual([])
  })
})
