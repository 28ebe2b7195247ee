/**
 * The demo city as an analyst would check it: every figure is recomputed from the generated CSV drops and
 * reference files (tests/fixtures/generate/city-data.ts), never taken from the generator, and compared with
 * what truth.json says was planted. The city is the run's shared demo city (tests/helpers/demo-city-setup.ts).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'csv-parse/sync'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { DROP_COLUMNS } from '../../functions/core/generate/columns.ts'
import type { Truth } from '../../functions/core/generate/generate.ts'
import { fromWgs84 } from '../../functions/core/geo.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { checkRecipientsAgainstRegister, parseRecipients } from '../../functions/core/reference/recipients.ts'
import { parseRegister, rasteriseArea } from '../../functions/core/reference/register.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { formatDay, parseDate } from '../../functions/core/time/days.ts'
import {
  areaCells,
  concentration,
  displacementCounts,
  harmOf,
  latestRecords,
  localDate,
  patrolEffect,
  type Row,
  readWeights,
} from '../fixtures/generate/city-data.ts'
import { demoCity } from '../helpers/demo-city.ts'

let dir: string
let truth: Truth
let incidents: (Row & { drop_date: string })[]
let allocations: Row[]
let weights: Map<string, number>
let cells: ReturnType<typeof areaCells>

beforeAll(() => {
  dir = demoCity().city
  truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth
  incidents = [...latestRecords(dir, 'incidents').values()]
  allocations = [...latestRecords(dir, 'patrol_allocations').values()]
  weights = readWeights(path.join(dir, 'weights.csv'))
  cells = areaCells(path.join(dir, 'register.geojson'))
})

/** Every row of every drop of a feed, with its drop date, in drop order (bad rows included). */
function allRows(feed: string): (Row & { drop_date: string })[] {
  const folder = path.join(dir, 'drops', feed)
  return readdirSync(folder)
    .sort()
    .flatMap((name) =>
      (
        parse(readFileSync(path.join(folder, name), 'utf8'), {
          columns: true,
          relax_column_count: true,
        }) as Row[]
      ).map((row) => ({ ...row, drop_date: name.slice(0, 10) })),
    )
}

const day = (date: string) => parseDate(date) as number

describe('reference files', () => {
  it('the register loads: 20 hotspots in clear -> hold (-> build) with 100 m buffers, and 2 controls', async () => {
    const file = path.join(dir, 'register.geojson')
    const register = parseRegister(readFileSync(file, 'utf8'), file)
    const hotspots = register.features.filter((f) => f.properties.role !== 'control')
    const controls = register.features.filter((f) => f.properties.role === 'control')
    expect(hotspots).toHaveLength(20)
    expect(controls).toHaveLength(2)
    const start = day(truth.dates.start)
    const end = day(truth.dates.end)
    for (const hotspot of hotspots) {
      const phases = hotspot.properties.phases ?? []
      expect(phases.map((p) => p.phase).join('>')).toMatch(/^clear>hold(>build)?$/)
      const clear = day(phases[0]?.from as string)
      // displacement windows: 12 weeks of data before clear starts and 12 weeks after
      expect(clear - start).toBeGreaterThanOrEqual(84)
      expect(end - clear + 1).toBeGreaterThanOrEqual(84)
      expect(hotspot.properties.buffer_m).toBe(100)
      expect(hotspot.properties.commander_id).toMatch(/^CMD-/)
      // 100 m x 100 m or 100 m x 200 m on the 25 m grid
      expect([16, 32]).toContain(rasteriseArea(hotspot).cells.size)
    }
    expect(hotspots.filter((h) => (h.properties.phases ?? []).length === 3).length).toBeGreaterThan(0)
    for (const control of controls) expect(control.properties.phases).toBeUndefined()

    const lakeRoot = await mkdtemp(path.join(tmpdir(), 'hotspot-generate-city-'))
    onTestFinished(() => rm(lakeRoot, { recursive: true, force: true }))
    const lake = new FsObjectStore(lakeRoot)
    const clock = fixedClock('2026-11-20T12:00:00Z')
    const loaded = await loadReference(lake, 'register', file, clock)
    expect(loaded.summary).toMatchObject({ hotspots: 20, controls: 2 })
    await loadReference(lake, 'weights', path.join(dir, 'weights.csv'), clock)
    const recipients = await loadReference(lake, 'recipients', path.join(dir, 'recipients.json'), clock)
    expect(recipients.summary).toMatchObject({ hotspots: 20, funders: 1 })
    expect(recipients.summary.warnings).toBeUndefined()
  })

  it('the recipients give every hotspot to exactly one commander, and name one funder', () => {
    const file = path.join(dir, 'recipients.json')
    const recipients = parseRecipients(readFileSync(file, 'utf8'), file)
    const registerFile = path.join(dir, 'register.geojson')
    const register = parseRegister(readFileSync(registerFile, 'utf8'), registerFile)
    expect(checkRecipientsAgainstRegister(recipients, register)).toEqual([])
    const ids = recipients.commanders.flatMap((c) => c.hotspot_ids).sort()
    expect(ids).toEqual(truth.hotspots.map((h: { hotspot_id: string }) => h.hotspot_id).sort())
    expect(recipients.commanders.length).toBeGreaterThanOrEqual(2)
    expect(recipients.funders).toHaveLength(1)
  })

  it('population.csv loads: every borough with the residents of each group in the planted shares', async () => {
    const file = path.join(dir, 'population.csv')
    const lake = new FsObjectStore(path.join(dir, 'lake-population'))
    const loaded = await loadReference(lake, 'population', file, fixedClock('2026-11-20T12:00:00Z'))
    const { residents_per_borough: perBorough, resident_shares: shares } = truth.stop_search
    expect(loaded.summary.areas).toBe(4)
    for (const [group, share] of Object.entries(shares)) {
      expect(loaded.summary[`residents_${group}`]).toBe(4 * Math.round(perBorough * share))
    }
  })

  it('weights.csv is the default harm weights file', () => {
    expect(readFileSync(path.join(dir, 'weights.csv'))).toEqual(readFileSync(DEFAULT_WEIGHTS_FILE))
  })
})

describe('drops', () => {
  it('one canonical CSV per feed per day (allocations on trial days, pings on the last 28), with the contract columns', () => {
    const days = truth.dates.days as number
    const dates = Array.from({ length: days }, (_, i) => formatDay(day(truth.dates.start) + i))
    const pingsFrom = formatDay(day(truth.dates.end) - 27)
    for (const feed of FEED_NAMES) {
      const names = readdirSync(path.join(dir, 'drops', feed)).sort()
      const expected =
        feed === 'patrol_allocations'
          ? dates.filter((d) => d >= truth.programme.hold_from)
          : feed === 'patrol_pings'
            ? dates.filter((d) => d >= pingsFrom)
            : dates
      expect(names, feed).toEqual(expected.map((d) => `${d}.csv`))
      const header = readFileSync(path.join(dir, 'drops', feed, names[0] as string), 'utf8').split('\n')[0]
      expect(header).toBe(DROP_COLUMNS[feed].join(','))
    }
  })

  it('every timestamp has a UTC offset and none is after the drop that carries it or after 2026-11-20', () => {
    const timestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|\+00:00)$/
    const columns = [
      'reported_at',
      'occurred_at',
      'received_at',
      'searched_at',
      'arrested_at',
      'started_at',
      'sent_at',
      'responded_at',
      'actioned_at',
      'recorded_at',
    ]
    let checked = 0
    const problems: string[] = []
    for (const feed of FEED_NAMES) {
      const bad = new Set(
        truth.bad_rows
          .filter((b: { feed: string }) => b.feed === feed)
          .map((b: { drop_date: string; line: number }) => `${b.drop_date}:${b.line}`),
      )
      const lines = new Map<string, number>()
      for (const row of allRows(feed)) {
        const line = (lines.get(row.drop_date) ?? 1) + 1
        lines.set(row.drop_date, line)
        if (bad.has(`${row.drop_date}:${line}`)) continue
        for (const column of columns) {
          const value = row[column]
          if (!value) continue
          checked++
          // one expect per value would cost more than the check: collect what fails, compare once
          if (!timestamp.test(value)) problems.push(`${feed} ${row.drop_date}:${line} ${column} = ${value}`)
          else if (localDate(value) > row.drop_date)
            problems.push(`${feed} ${row.drop_date}:${line} ${column} = ${value} is after its drop`)
        }
      }
    }
    expect(problems).toEqual([])
    expect(checked).toBeGreaterThan(200_000)
    expect(truth.dates.end <= '2026-11-15').toBe(true)
  })

  it('late records arrive in later drops, and corrections re-send records with a changed field', () => {
    const seen = new Set<string>()
    let late = 0
    const bad = new Set(
      truth.bad_rows
        .filter((b: { feed: string }) => b.feed === 'incidents')
        .map((b: { drop_date: string; line: number }) => `${b.drop_date}:${b.line}`),
    )
    const lines = new Map<string, number>()
    for (const row of allRows('incidents')) {
      const line = (lines.get(row.drop_date) ?? 1) + 1
      lines.set(row.drop_date, line)
      if (bad.has(`${row.drop_date}:${line}`) || seen.has(row.incident_id as string)) continue
      seen.add(row.incident_id as string)
      if (row.drop_date > localDate(row.reported_at as string)) late++
    }
    expect(late).toBe(truth.counts.incidents.late_rows)
    expect(late / seen.size).toBeGreaterThan(0.02)
    expect(late / seen.size).toBeLessThan(0.04)

    const latest = latestRecords(dir, 'incidents')
    expect(truth.corrections.length).toBeGreaterThan(50)
    for (const c of truth.corrections) {
      const record = latest.get(c.incident_id) as Row & { drop_date: string }
      expect(record[c.field]).toBe(c.to)
      expect(record.drop_date).toBe(c.correction_drop_date)
      expect(c.correction_drop_date > c.first_drop_date).toBe(true)
    }
  })
})

describe('the planted city', () => {
  it('concentrates harm: the top 1% of 100 m cells hold 10-20% of the last 12 months of harm', () => {
    const c = concentration(incidents, weights, truth.area, truth.dates.end)
    expect(c.top1Share).toBeGreaterThan(0.1)
    expect(c.top1Share).toBeLessThan(0.2)
    expect(c.top5Share).toBeGreaterThan(c.top1Share)
  })

  it('puts the 20 hotspots on high-harm cells (each in the top 2% of cells before the programme)', () => {
    const clear = truth.programme.clear_from
    const before = incidents.filter((row) => localDate(row.reported_at as string) < clear)
    const harm = new Map<string, number>()
    for (const row of before) {
      if (!row.easting) continue
      const key = `${Math.floor(Number(row.easting) / 100)},${Math.floor(Number(row.northing) / 100)}`
      harm.set(key, (harm.get(key) ?? 0) + harmOf(row, weights))
    }
    const ranked = [...harm.entries()].sort((a, b) => b[1] - a[1]).map(([key]) => key)
    const top = new Set(ranked.slice(0, Math.ceil(truth.area.cells * 0.02)))
    for (const hotspot of truth.hotspots) {
      const { west, south, east, north } = hotspot.bng
      const hotspotCells: string[] = []
      for (let x = west / 100; x < east / 100; x++)
        for (let y = south / 100; y < north / 100; y++) hotspotCells.push(`${x},${y}`)
      expect(
        hotspotCells.some((cell) => top.has(cell)),
        hotspot.hotspot_id,
      ).toBe(true)
    }
  })

  it('recovers the planted patrol effect (DESIGN 7, ITT) on harm and on count', () => {
    const planted = Math.log(1 - truth.effects.patrol_effect_harm)
    const harm = patrolEffect(incidents, allocations, cells, (row) => harmOf(row, weights))
    expect(harm.nAssigned + harm.nUnassigned).toBe(
      truth.programme.allocation_days.assigned + truth.programme.allocation_days.unassigned,
    )
    expect(harm.nAssigned).toBe(truth.programme.allocation_days.assigned)
    expect(harm.ci[0]).toBeLessThan(planted)
    expect(harm.ci[1]).toBeGreaterThan(planted)
    expect(harm.ci[1]).toBeLessThan(0)
    const count = patrolEffect(incidents, allocations, cells, () => 1)
    expect(count.ci[0]).toBeLessThan(planted)
    expect(count.ci[1]).toBeGreaterThan(planted)
    expect(count.ci[1]).toBeLessThan(0)
  })

  it('shows diffusion of benefit: buffers fall after clear, controls do not, so WDQ is positive', () => {
    const d = displacementCounts(incidents, cells, truth.programme.clear_from, 12)
    const denominator = d.Ra / d.Ca - d.Rb / d.Cb
    expect(denominator).toBeLessThan(0)
    const wdq = (d.Da / d.Ca - d.Db / d.Cb) / denominator
    expect(wdq).toBeGreaterThan(0)
    // hotspots fall more than buffers
    expect(d.Ra / d.Rb).toBeLessThan(d.Da / d.Db)
  })

  it('has weekly and annual seasonality and a police.uk-like crime mix', () => {
    const perWeekday = new Float64Array(7)
    const perMonth = new Float64Array(12)
    for (const row of incidents) {
      const date = localDate(row.occurred_at as string)
      const weekday = (day(date) + 3) % 7
      const month = Number(date.slice(5, 7)) - 1
      perWeekday[weekday] = (perWeekday[weekday] ?? 0) + 1
      perMonth[month] = (perMonth[month] ?? 0) + 1
    }
    const [mon, tue, wed, , fri, sat] = perWeekday as unknown as number[]
    const midweek = ((mon as number) + (tue as number) + (wed as number)) / 3
    const weekend = ((fri as number) + (sat as number)) / 2
    expect(weekend / midweek).toBeGreaterThan(1.1)
    expect((perMonth[6] as number) / (perMonth[0] as number)).toBeGreaterThan(1.1)

    const share = (test: (row: Row) => boolean, among: Row[] = incidents) =>
      among.filter(test).length / among.length
    expect(share((r) => r.crime_type === 'Anti-social behaviour')).toBeGreaterThan(0.12)
    expect(share((r) => r.crime_type === 'Violence and sexual offences')).toBeGreaterThan(0.2)
    const drugs = incidents.filter((r) => r.crime_type === 'Drugs')
    expect(share((r) => r.police_initiated === 'true', drugs)).toBeGreaterThan(0.8)
    const robbery = incidents.filter((r) => r.crime_type === 'Robbery')
    expect(share((r) => r.weapon_flag === 'knife', robbery)).toBeGreaterThan(0.15)
    const theft = incidents.filter((r) => r.crime_type === 'Shoplifting')
    expect(share((r) => r.weapon_flag !== 'none', theft)).toBe(0)
  })
})

describe('the other feeds', () => {
  it('patrol visits: several, mostly 10-16 minutes, on assigned days; few on unassigned days', () => {
    const visits = [...latestRecords(dir, 'patrol_visits').values()]
    const byHotspotDay = new Map<string, number[]>()
    for (const visit of visits) {
      const key = `${visit.hotspot_id}|${localDate(visit.started_at as string)}`
      const minutes = (Date.parse(visit.ended_at as string) - Date.parse(visit.started_at as string)) / 60_000
      byHotspotDay.set(key, [...(byHotspotDay.get(key) ?? []), minutes])
    }
    const assigned = allocations.filter((a) => a.assigned === 'true')
    const unassigned = allocations.filter((a) => a.assigned === 'false')
    const visitsOn = (a: Row) => byHotspotDay.get(`${a.hotspot_id}|${a.date}`) ?? []
    const mean = (rows: Row[]) => rows.reduce((s, a) => s + visitsOn(a).length, 0) / rows.length
    expect(mean(assigned)).toBeGreaterThan(3)
    expect(mean(unassigned)).toBeLessThan(0.6)
    const compliantDays = assigned.filter((a) => visitsOn(a).some((m) => m >= 10 && m <= 16)).length
    expect(compliantDays / assigned.length).toBeGreaterThan(0.75)
    const onAssigned = assigned.flatMap(visitsOn)
    expect(onAssigned.filter((m) => m >= 10 && m <= 16).length / onAssigned.length).toBeGreaterThan(0.6)
    expect(onAssigned.some((m) => m < 10 || m > 16)).toBe(true)
    for (const visit of visits.slice(0, 1000)) {
      expect(visit.visit_id).toBeTruthy()
      expect(['gps', 'manual']).toContain(visit.source)
      expect(Number(visit.officers)).toBeGreaterThanOrEqual(1)
    }
  })

  it('patrol pings: each officer of each GPS visit of the last 28 days pings inside its hotspot; truth has their presence', () => {
    const planted = truth.patrol_pings
    expect(planted.period).toEqual({
      first_day: formatDay(day(truth.dates.end) - 27),
      last_day: truth.dates.end,
      days: 28,
    })
    const gpsVisits = [...latestRecords(dir, 'patrol_visits').values()].filter(
      (v) => v.source === 'gps' && localDate(v.started_at as string) >= (planted.period?.first_day as string),
    )
    expect(planted.visits.map((v) => v.visit_id).sort()).toEqual(gpsVisits.map((v) => v.visit_id).sort())

    // good fixes (accuracy within the ingest's 50 m) by device, in the 25 m cells of the register
    const fixes = new Map<string, { at: number; areas: string[]; vehicle: boolean; speed: number }[]>()
    for (const ping of latestRecords(dir, 'patrol_pings').values()) {
      if (Number(ping.accuracy_m) > 50) continue
      const { easting, northing } = fromWgs84(Number(ping.lat), Number(ping.lon))
      const cell = `${Math.floor(Math.round(easting) / 25)},${Math.floor(Math.round(northing) / 25)}`
      const list = fixes.get(ping.device_id as string) ?? []
      list.push({
        at: Date.parse(ping.recorded_at as string),
        areas: (cells.get(cell) ?? []).filter((a) => a.role === 'hotspot').map((a) => a.id),
        vehicle: (ping.team as string).endsWith('-RESPONSE'),
        speed: Number(ping.speed_mps),
      })
      fixes.set(ping.device_id as string, list)
    }
    for (const visit of planted.visits) {
      const from = Date.parse(visit.started_at)
      const to = Date.parse(visit.ended_at)
      const officers = gpsVisits.find((v) => v.visit_id === visit.visit_id)?.officers
      expect(visit.devices, visit.visit_id).toHaveLength(Number(officers))
      for (const device of visit.devices) {
        const inside = (fixes.get(device) ?? []).filter(
          (f) => f.at >= from && f.at <= to && f.areas.includes(visit.hotspot_id),
        )
        expect(inside.length, `${visit.visit_id} ${device}`).toBeGreaterThan(0)
      }
    }
    const cars = [...fixes.values()].flat().filter((f) => f.vehicle)
    expect(cars.filter((f) => !(f.speed > 3))).toEqual([])
    expect(cars.filter((f) => f.areas.length > 0).length).toBeGreaterThan(1000)

    // presence: the union of the hotspot-day's GPS visits, merged here by sorting
    for (const row of planted.presence) {
      const own = gpsVisits
        .filter((v) => v.hotspot_id === row.hotspot_id && localDate(v.started_at as string) === row.date)
        .map((v) => [Date.parse(v.started_at as string), Date.parse(v.ended_at as string)] as const)
        .sort((a, b) => a[0] - b[0])
      let minutes = 0
      let until = 0
      for (const [from, to] of own) {
        minutes += Math.max(0, to - Math.max(from, until)) / 60_000
        until = Math.max(until, to)
      }
      expect(row.presence_minutes, `${row.hotspot_id} ${row.date}`).toBeCloseTo(minutes, 2)
    }
    expect(planted.presence.filter((r) => r.presence_minutes > 0).length).toBeGreaterThan(150)
  })

  it('surveys: sent 6-72 h after the report, ~30% answered, satisfaction differs by group as planted', () => {
    const surveys = [...latestRecords(dir, 'survey_responses').values()]
    const byId = new Map(incidents.map((row) => [row.incident_id as string, row]))
    for (const survey of surveys) {
      const incident = byId.get(survey.incident_id as string) as Row
      expect(incident.crime_type).not.toBe('Anti-social behaviour')
      expect(incident.police_initiated).toBe('false')
      const hours =
        (Date.parse(survey.sent_at as string) - Date.parse(incident.reported_at as string)) / 3_600_000
      expect(hours).toBeGreaterThanOrEqual(6)
      expect(hours).toBeLessThanOrEqual(72)
    }
    const responded = surveys.filter((s) => s.responded_at)
    expect(responded.length / surveys.length).toBeGreaterThan(0.27)
    expect(responded.length / surveys.length).toBeLessThan(0.33)
    const satisfied = (group: string) => {
      const answers = responded.filter((s) => s.ethnicity_group === group && s.q_overall)
      const p = answers.filter((s) => Number(s.q_overall) <= 3).length / answers.length
      return { p, n: answers.length }
    }
    const white = satisfied('White')
    const black = satisfied('Black')
    // planted: 0.75 and 0.60, shifted by the age mix (about -0.007)
    expect(Math.abs(white.p - (truth.satisfaction.q_overall_by_ethnicity.White as number))).toBeLessThan(0.04)
    expect(Math.abs(black.p - (truth.satisfaction.q_overall_by_ethnicity.Black as number))).toBeLessThan(0.05)
    // the gap's 95% CI excludes 0
    const se = Math.sqrt((white.p * (1 - white.p)) / white.n + (black.p * (1 - black.p)) / black.n)
    expect(white.p - black.p - 1.96 * se).toBeGreaterThan(0)
    const young = responded.filter((s) => s.age_band === '16-24' && s.q_overall)
    const old = responded.filter((s) => s.age_band === '65+' && s.q_overall)
    const rate = (rows: Row[]) => rows.filter((s) => Number(s.q_overall) <= 3).length / rows.length
    expect(rate(old)).toBeGreaterThan(rate(young))
    // some questions unanswered; phone numbers only in the Ofcom drama range
    expect(responded.some((s) => s.q_informed === '')).toBe(true)
    expect(surveys.every((s) => /^07700 900\d{3}$/.test(s.phone_number as string))).toBe(true)
  })

  it('calls, arrests, stop-and-search and tips are in proportion and linked to real records', () => {
    const calls = [...latestRecords(dir, 'calls').values()]
    const arrests = [...latestRecords(dir, 'arrests').values()]
    const searches = [...latestRecords(dir, 'stop_searches').values()]
    const tips = [...latestRecords(dir, 'tips').values()]
    const ids = new Set(incidents.map((row) => row.incident_id))
    expect(calls.length / incidents.length).toBeGreaterThan(0.8)
    expect(calls.length / incidents.length).toBeLessThan(1.3)
    const linkedCalls = calls.filter((c) => c.linked_incident_id)
    expect(linkedCalls.length / calls.length).toBeGreaterThan(0.4)
    expect(linkedCalls.every((c) => ids.has(c.linked_incident_id))).toBe(true)
    const linkedArrests = arrests.filter((a) => a.linked_incident_id)
    expect(linkedArrests.length).toBeGreaterThan(arrests.length / 2)
    expect(linkedArrests.every((a) => ids.has(a.linked_incident_id))).toBe(true)
    expect(searches.length / incidents.length).toBeGreaterThan(0.1)
    const findRate = (group: string) => {
      const rows = searches.filter((s) => s.officer_defined_ethnicity === group)
      return rows.filter((s) => s.outcome_linked === 'true').length / rows.length
    }
    expect(Math.abs(findRate('White') - (truth.stop_search.find_rate.White as number))).toBeLessThan(0.03)
    expect(Math.abs(findRate('Black') - (truth.stop_search.find_rate.Black as number))).toBeLessThan(0.03)
    // the rate ratio against White, from the drops and population.csv, recovers the planted one within 3 SE of
    // its log (SE = sqrt(1/a + 1/b))
    const residents = new Map<string, number>()
    for (const row of parse(readFileSync(path.join(dir, 'population.csv')), { columns: true }) as Row[]) {
      const group = row.ethnicity_group as string
      residents.set(group, (residents.get(group) ?? 0) + Number(row.residents))
    }
    const searchesOf = (group: string) => searches.filter((s) => s.officer_defined_ethnicity === group).length
    for (const group of ['Black', 'Asian', 'Mixed', 'Other']) {
      const [a, b] = [searchesOf(group), searchesOf('White')]
      const ratio = a / (residents.get(group) as number) / (b / (residents.get('White') as number))
      const planted = truth.stop_search.disproportionality[group] as number
      expect(Math.abs(Math.log(ratio / planted)), group).toBeLessThan(3 * Math.sqrt(1 / a + 1 / b))
    }
    expect(searches.some((s) => s.operation !== '')).toBe(true)
    for (const tip of tips) {
      expect(Boolean(tip.hotspot_id) || Boolean(tip.lat && tip.lon)).toBe(true)
      if (tip.actioned_at) expect(tip.actioned_at >= (tip.received_at as string)).toBe(true)
    }
    expect(tips.filter((t) => t.outcome === 'pending').length).toBeGreaterThan(0)
    expect(tips.filter((t) => t.hotspot_id).length).toBeGreaterThan(0)
  })
})
