import { describe, expect, it } from 'vitest'
import { MART_NAMES, martStages, PRESENCE_MARTS, stagingSql } from '../../functions/core/analytics/marts.ts'

describe('stagingSql: the staging a run builds as tables', () => {
  it('builds only the staging some mart of the run reads, each after what it reads', () => {
    const all = [...stagingSql().keys()]
    // no mart reads calls: its staging is never built
    expect(all).not.toContain('stg_calls')
    expect(all.indexOf('stg_incidents')).toBeLessThan(all.indexOf('stg_incident_harm'))
    expect([...stagingSql(['patrol_dosage']).keys()].sort()).toEqual([
      'stg_patrol_allocations',
      'stg_patrol_visits',
    ])
    // a mart on stg_incident_harm gets stg_incidents too, which stg_incident_harm reads
    expect([...stagingSql(['concentration']).keys()]).toEqual(['stg_incidents', 'stg_incident_harm'])
  })

  it('names every word of the marts that read a table, whichever marts run, so runs keep the same columns', () => {
    const tables = stagingSql(['patrol_dosage'])
    const visits = tables.get('stg_patrol_visits')
    expect(visits?.readerWords.has('started_at')).toBe(true)
    // funder_monthly reads visits too, and its words count although it is not run here
    expect(visits?.readerWords).toEqual(stagingSql().get('stg_patrol_visits')?.readerWords)
    // a table's words include those of the marts reading the tables built on it
    const incidents = stagingSql().get('stg_incidents')
    expect(incidents?.readerWords.has('harm')).toBe(true)
    // words of comments are not words a query reads
    expect(incidents?.readerWords.has('grain')).toBe(false)
  })

  it('keeps the SQL of a table reading the tables built before it by name', () => {
    const harm = stagingSql().get('stg_incident_harm')
    expect(harm?.sql).toMatch(/\bfrom stg_incidents as i\b/)
    expect(harm?.sql).not.toMatch(/\bincidents_versions\b/)
  })
})

describe('martStages: the runs a request makes', () => {
  it('runs each presence mart as a run of its own, before the rest, in the nightly order', () => {
    const rest = MART_NAMES.filter((mart) => !PRESENCE_MARTS.includes(mart))
    expect(martStages(MART_NAMES)).toEqual([['presence_visits'], ['presence_daily'], rest])
    expect(martStages(['tips_monthly', 'scorecard_weekly'])).toEqual([['tips_monthly', 'scorecard_weekly']])
    expect(martStages(['presence_visits'])).toEqual([['presence_visits']])
  })

  it('runs the presence marts a presence mart reads first, so its rows come from the same drops', () => {
    expect(martStages(['presence_daily'])).toEqual([['presence_visits'], ['presence_daily']])
    expect(martStages(['dose_response', 'presence_daily'])).toEqual([
      ['presence_visits'],
      ['presence_daily'],
      ['dose_response'],
    ])
  })
})
