import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, TestLake } from '../sql/harness.ts'

const at = cellCentre(21_000, 7_200)
const incident = (id: string, dropDate: string, dropId: string, ingestedAt: string, keyDerived = false) => ({
  incident_id: id,
  reported_at: '2026-03-01T10:00:00Z',
  crime_type: keyDerived ? 'Anti-social behaviour' : 'Burglary',
  key_derived: keyDerived,
  ...at,
  drop_date: dropDate,
  drop_id: dropId,
  ingested_at: ingestedAt,
})

/**
 * The `<feed>` view (currentVersionSql) and the staging queries (valid_to is null) each state which version of
 * a record is current; an auditor's query and a mart must agree on it.
 */
describe('DuckDbLake: the current version of each record', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      feeds: {
        incidents: [
          // A: corrected by a later day's drop
          incident('A', '2026-03-02', 'd2', '2026-03-02T06:00:00Z'),
          incident('A', '2026-03-05', 'd5', '2026-03-05T06:00:00Z'),
          // B: in two drops of one day; the later ingested wins
          incident('B', '2026-03-06', 'd6-first', '2026-03-06T06:00:00Z'),
          incident('B', '2026-03-06', 'd6-second', '2026-03-06T18:00:00Z'),
          // rows without a natural key: current only while their drop is the latest of its day
          incident('E', '2026-03-06', 'd6-first', '2026-03-06T06:00:00Z', true), // replaced by d6-second
          incident('F', '2026-03-06', 'd6-second', '2026-03-06T18:00:00Z', true),
          incident('G', '2026-03-02', 'd2', '2026-03-02T06:00:00Z', true), // then in a drop replaced that day
          incident('G', '2026-03-06', 'd6-first', '2026-03-06T06:00:00Z', true),
          incident('H', '2026-03-02', 'd2', '2026-03-02T06:00:00Z', true),
        ],
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('is the same in the feed view as in staging', async () => {
    const view = await lake.sql('select incident_id, drop_id from incidents order by 1')
    const staging = await lake.sql(
      'select incident_id, drop_id from stg_incidents where valid_to is null order by 1',
    )
    expect(view).toEqual([
      { incident_id: 'A', drop_id: 'd5' },
      { incident_id: 'B', drop_id: 'd6-second' },
      { incident_id: 'F', drop_id: 'd6-second' },
      { incident_id: 'H', drop_id: 'd2' },
    ])
    expect(staging).toEqual(view)
  })
})
