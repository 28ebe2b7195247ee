import { describe, expect, it } from 'vitest'
import { DropDateRefusedError, dropDateRefusal } from '../../functions/core/ingest/drop-date.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { TempLake } from './helpers/lake.ts'

const CSV =
  'incident_id,reported_at,crime_type,lat,lon\nINC-1,2026-05-31T10:00:00Z,Burglary,51.5136,-0.0890\n'

describe('the drop-date rule: no later than tomorrow in London, no earlier than 2000', () => {
  it.each([
    // GMT: London's day is UTC's
    ['2026-12-07T12:00:00Z', '2026-12-08'],
    ['2026-12-31T23:59:59Z', '2027-01-01'],
    // BST: from 23:00 UTC London is already in the next day, so its tomorrow is two UTC days ahead
    ['2026-06-30T22:59:59Z', '2026-07-01'],
    ['2026-06-30T23:00:00Z', '2026-07-02'],
    // the clock changes (01:00 UTC on 29 March and 25 October 2026)
    ['2026-03-28T23:30:00Z', '2026-03-29'],
    ['2026-10-24T23:30:00Z', '2026-10-26'],
    ['2026-10-25T23:30:00Z', '2026-10-26'],
  ])('at %s the latest drop date accepted is %s', (now, latest) => {
    const at = new Date(now)
    expect(dropDateRefusal(latest, at)).toBeUndefined()
    const dayAfter = new Date(Date.parse(`${latest}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
    expect(dropDateRefusal(dayAfter, at)).toBe(
      `drop date ${dayAfter} is after ${latest}, tomorrow in London, the latest accepted: ` +
        'a mistyped date would hide every later correction',
    )
  })

  it('refuses a drop date before 2000-01-01, where the lake starts (as the contracts refuse older timestamps)', () => {
    const now = new Date('2026-12-07T12:00:00Z')
    expect(dropDateRefusal('2000-01-01', now)).toBeUndefined()
    expect(dropDateRefusal('1999-12-31', now)).toBe(
      'drop date 1999-12-31 is before 2000-01-01, the earliest accepted',
    )
  })

  it('ingestDrop refuses a far-future drop date with the one-line reason, and writes nothing of a local file', async () => {
    const lake = await TempLake.create()
    try {
      const refused = lake.ingest('incidents', 'incidents-2062-11-10.csv', CSV, {
        dropDate: '2062-11-10',
        clock: fixedClock('2026-06-01T12:00:00Z'),
      })
      await expect(refused).rejects.toThrow(DropDateRefusedError)
      await expect(refused).rejects.toThrow(
        'incidents-2062-11-10.csv: rejected: drop date 2062-11-10 is after 2026-06-02, tomorrow in London, ' +
          'the latest accepted: a mistyped date would hide every later correction',
      )
      expect(await lake.keys()).toEqual([])

      const { manifest } = await lake.ingest('incidents', 'incidents-2026-06-02.csv', CSV, {
        dropDate: '2026-06-02',
        clock: fixedClock('2026-06-01T12:00:00Z'),
      })
      expect(manifest).toMatchObject({ drop_date: '2026-06-02', rows_accepted: 1 })
    } finally {
      await lake.close()
    }
  })
})
