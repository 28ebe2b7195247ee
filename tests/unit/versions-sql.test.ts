import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { KOPER_FILE } from '../../functions/core/contracts/dosage.ts'
import { CONTRACTS, FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { PRESENCE_SETTINGS_FILE } from '../../functions/core/contracts/presence.ts'
import {
  feedStagingSql,
  feedViewFile,
  generatedSqlFiles,
  stagingFile,
} from '../../functions/core/contracts/versions-sql.ts'
import { POLICE_UK_FEEDS } from '../../functions/core/ingest/formats.ts'
import { TestLake } from '../sql/harness.ts'

const queries = fileURLToPath(new URL('../../queries/', import.meta.url))
const generated = generatedSqlFiles()

describe('the SQL generated from the feed contracts (npm run generate:sql)', () => {
  it.each([...generated.keys()])('queries/%s is checked in as generated', (file) => {
    const checkedIn = readFileSync(`${queries}${file}`, 'utf8')
    expect(
      checkedIn === generated.get(file),
      `queries/${file} is out of date: run npm run generate:sql`,
    ).toBe(true)
  })

  it('covers every feed, and queries/views holds nothing else', () => {
    expect([...generated.keys()].sort()).toEqual(
      [
        ...FEED_NAMES.flatMap((feed) => [stagingFile(feed), feedViewFile(feed)]),
        PRESENCE_SETTINGS_FILE,
        KOPER_FILE,
      ].sort(),
    )
    expect(readdirSync(`${queries}views`).map((f) => `views/${f}`)).toEqual(
      FEED_NAMES.map(feedViewFile).sort(),
    )
  })

  it('says in each file that it is generated, and from what', () => {
    for (const [file, text] of generated)
      expect(text.split('\n')[0]).toBe(
        file === PRESENCE_SETTINGS_FILE
          ? '-- generated from functions/core/contracts/presence.ts by npm run generate:sql; do not edit'
          : file === KOPER_FILE
            ? '-- generated from functions/core/contracts/dosage.ts by npm run generate:sql; do not edit'
            : '-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit',
      )
  })

  it('derives the London day and hour of each timestamp and the grid cell of a located feed, from the contract', () => {
    const outputs = (sql: string) => [...sql.matchAll(/ as ([a-z_]+),?$/gm)].map((m) => m[1])
    expect(outputs(feedStagingSql('tips'))).toEqual([
      'valid_from',
      'valid_to',
      'received_date',
      'received_hour',
      'actioned_date',
      'actioned_hour',
      'cell_x',
      'cell_y',
    ])
    // patrol allocations have neither a timestamp nor coordinates
    expect(outputs(feedStagingSql('patrol_allocations'))).toEqual(['valid_from', 'valid_to'])
  })

  it('treats rows without a natural key apart only in the feeds a police.uk layout feeds', () => {
    const derivedKeys = FEED_NAMES.filter((feed) => CONTRACTS[feed].derivedKeys)
    expect(derivedKeys.sort()).toEqual([...POLICE_UK_FEEDS].sort())
    for (const feed of FEED_NAMES) {
      const treatsApart = /key_derived\s+and drop_id <> first_value/.test(feedStagingSql(feed))
      expect(treatsApart, feed).toBe(derivedKeys.includes(feed))
    }
  })
})

/**
 * The rule as it runs: a record's versions in the order drop_date, ingested_at, drop_id, source_line, and a row
 * without a natural key current only while its drop is the latest of its drop date. The view and the staging
 * query are both generated from it; here they must name the same current versions, including the cases the
 * order settles only by its last keys (two drops of a day ingested at the same instant).
 */
describe('the current version, in the view and in staging', () => {
  const at = { easting: 530_010, northing: 180_010 }
  const incident = (
    id: string,
    drop: { date: string; id: string; at: string },
    options: { keyDerived?: boolean; line?: number } = {},
  ) => ({
    incident_id: id,
    reported_at: '2026-03-01T10:00:00Z',
    crime_type: 'Burglary',
    key_derived: options.keyDerived ?? false,
    source_line: options.line ?? 2,
    ...at,
    drop_date: drop.date,
    drop_id: drop.id,
    ingested_at: drop.at,
  })
  const early = { date: '2026-03-02', id: 'd2', at: '2026-03-02T06:00:00Z' }
  // two drops of one day ingested at the same instant: the higher drop id is the later
  const tiedA = { date: '2026-03-06', id: 'd6-a', at: '2026-03-06T06:00:00Z' }
  const tiedB = { date: '2026-03-06', id: 'd6-b', at: '2026-03-06T06:00:00Z' }

  it('is the same record version in both, and the tie goes to the higher drop id', async () => {
    const lake = await TestLake.create({
      feeds: {
        incidents: [
          incident('A', early),
          incident('A', tiedB),
          incident('A', tiedA),
          incident('K1', tiedA, { keyDerived: true }), // its drop is not the day's latest
          incident('K2', tiedB, { keyDerived: true, line: 3 }),
          incident('K3', early, { keyDerived: true }),
        ],
      },
    })
    try {
      const view = await lake.sql('select incident_id, drop_id from incidents order by 1')
      const staging = await lake.sql(
        'select incident_id, drop_id from stg_incidents where valid_to is null order by 1',
      )
      expect(view).toEqual([
        { incident_id: 'A', drop_id: 'd6-b' },
        { incident_id: 'K2', drop_id: 'd6-b' },
        { incident_id: 'K3', drop_id: 'd2' },
      ])
      expect(staging).toEqual(view)
    } finally {
      await lake.close()
    }
  })
})
