import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, TestLake, weights } from './harness.ts'

/** Current versions as of a day, per the staging contract: valid_from <= D < valid_to (or valid_to null). */
const asOf = (day: string) => `valid_from <= date '${day}' and (valid_to is null or valid_to > date '${day}')`

describe('stg_incidents and stg_incident_harm', () => {
  let lake: TestLake
  beforeAll(async () => {
    const at = cellCentre(21_000, 7_200)
    lake = await TestLake.create({
      feeds: {
        incidents: [
          // A: reported as Burglary on the 2 March drop, corrected to Robbery by the 5 March drop
          {
            incident_id: 'A',
            reported_at: '2026-03-01T10:00:00Z',
            crime_type: 'Burglary',
            ...at,
            drop_date: '2026-03-02',
          },
          {
            incident_id: 'A',
            reported_at: '2026-03-01T10:00:00Z',
            crime_type: 'Robbery',
            ...at,
            drop_date: '2026-03-05',
          },
          // B: two drops on the same day; the later ingested wins from that day on
          {
            incident_id: 'B',
            reported_at: '2026-03-28T23:30:00Z', // 23:30 GMT: still 28 March in London
            crime_type: 'Drugs',
            police_initiated: true,
            ...at,
            drop_date: '2026-03-29',
            drop_id: 'incidents-2026-03-29-first',
            ingested_at: '2026-03-29T06:00:00Z',
          },
          {
            incident_id: 'B',
            reported_at: '2026-03-28T23:30:00Z',
            crime_type: 'Drugs',
            police_initiated: true,
            ...at,
            drop_date: '2026-03-29',
            drop_id: 'incidents-2026-03-29-second',
            ingested_at: '2026-03-29T18:00:00Z',
          },
          // C: 23:30 UTC on 29 March is 00:30 BST on 30 March
          {
            incident_id: 'C',
            reported_at: '2026-03-29T23:30:00Z',
            crime_type: 'Anti-social behaviour',
            ...at,
            drop_date: '2026-03-30',
          },
          // D: 00:30 UTC on 25 October is 01:30 BST; the clocks go back at 01:00 UTC
          {
            incident_id: 'D',
            reported_at: '2026-10-25T00:30:00Z',
            crime_type: 'Burglary',
            offence_code: '28E',
            ...at,
            drop_date: '2026-10-26',
          },
          // E and F: rows without a natural key in a drop later replaced wholesale by a re-drop of the same day
          {
            incident_id: 'E',
            reported_at: '2026-04-01T00:00:00+01:00',
            crime_type: 'Anti-social behaviour',
            key_derived: true,
            ...at,
            drop_date: '2026-04-30',
            drop_id: 'incidents-2026-04-30-old',
            ingested_at: '2026-05-01T06:00:00Z',
          },
          {
            incident_id: 'F',
            reported_at: '2026-04-01T00:00:00+01:00',
            crime_type: 'Anti-social behaviour',
            key_derived: true,
            ...at,
            drop_date: '2026-04-30',
            drop_id: 'incidents-2026-04-30-new',
            ingested_at: '2026-05-02T06:00:00Z',
          },
        ],
      },
      harm_weights: [
        ...weights({ Burglary: 244.68, Robbery: 365, Drugs: 3.66, 'Anti-social behaviour': 0 }),
        { crime_type: 'Burglary', offence_code: '28E', days: 100, weights_version: 'w-test' },
      ],
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('gives each version the days it is current', async () => {
    const rows = await lake.sql(
      `select incident_id, crime_type, drop_id, valid_from, valid_to from stg_incidents
       where incident_id in ('A', 'B') order by incident_id, valid_from, drop_id`,
    )
    expect(rows).toEqual([
      {
        incident_id: 'A',
        crime_type: 'Burglary',
        drop_id: 'incidents-2026-03-02-given',
        valid_from: '2026-03-02',
        valid_to: '2026-03-05',
      },
      {
        incident_id: 'A',
        crime_type: 'Robbery',
        drop_id: 'incidents-2026-03-05-given',
        valid_from: '2026-03-05',
        valid_to: null,
      },
      // the first drop of the day is replaced the same day: it is never current
      {
        incident_id: 'B',
        crime_type: 'Drugs',
        drop_id: 'incidents-2026-03-29-first',
        valid_from: '2026-03-29',
        valid_to: '2026-03-29',
      },
      {
        incident_id: 'B',
        crime_type: 'Drugs',
        drop_id: 'incidents-2026-03-29-second',
        valid_from: '2026-03-29',
        valid_to: null,
      },
    ])
    const asOfFourth = await lake.sql(
      `select crime_type from stg_incidents where incident_id = 'A' and ${asOf('2026-03-04')}`,
    )
    const asOfFifth = await lake.sql(
      `select crime_type from stg_incidents where incident_id = 'A' and ${asOf('2026-03-05')}`,
    )
    expect(asOfFourth).toEqual([{ crime_type: 'Burglary' }])
    expect(asOfFifth).toEqual([{ crime_type: 'Robbery' }])
  })

  it('replaces rows without a natural key with the latest drop of their day', async () => {
    const rows = await lake.sql(
      `select incident_id from stg_incidents where key_derived and ${asOf('2026-12-31')}`,
    )
    expect(rows).toEqual([{ incident_id: 'F' }])
  })

  it('dates and hours events on the London clock across both 2026 clock changes', async () => {
    const rows = await lake.sql(
      `select incident_id, reported_date, reported_hour from stg_incidents
       where incident_id in ('B', 'C', 'D') and valid_to is null order by incident_id`,
    )
    expect(rows).toEqual([
      { incident_id: 'B', reported_date: '2026-03-28', reported_hour: 23 },
      { incident_id: 'C', reported_date: '2026-03-30', reported_hour: 0 },
      { incident_id: 'D', reported_date: '2026-10-25', reported_hour: 1 },
    ])
  })

  it('puts events in 25 m cells and flags serious violence', async () => {
    const rows = await lake.sql(
      `select incident_id, cell_x, cell_y, serious_violence from stg_incidents
       where incident_id in ('A', 'D') and valid_to is null order by 1`,
    )
    expect(rows).toEqual([
      { incident_id: 'A', cell_x: 21_000, cell_y: 7_200, serious_violence: true },
      { incident_id: 'D', cell_x: 21_000, cell_y: 7_200, serious_violence: false },
    ])
  })

  it('costs harm by offence code when weighted, else by category; police-initiated and ASB carry none', async () => {
    const rows = await lake.sql(
      `select incident_id, harm, weights_version from stg_incident_harm where valid_to is null order by 1`,
    )
    expect(rows).toEqual([
      { incident_id: 'A', harm: 365, weights_version: 'w-test' },
      { incident_id: 'B', harm: 0, weights_version: 'w-test' }, // Drugs weighs 3.66 but was found by police
      { incident_id: 'C', harm: 0, weights_version: 'w-test' },
      { incident_id: 'D', harm: 100, weights_version: 'w-test' }, // 28E has its own weight (100), not Burglary's
      { incident_id: 'F', harm: 0, weights_version: 'w-test' },
    ])
  })
})
