import { beforeAll, describe, expect, it } from 'vitest'
import { buildCity, type Hotspot, type Rect } from '../../functions/core/generate/city.ts'
import type { Values } from '../../functions/core/generate/columns.ts'
import {
  PatrolPings,
  PINGS,
  type PingsTruth,
  type PlantedVisit,
  type Point,
} from '../../functions/core/generate/pings.ts'
import { Random } from '../../functions/core/generate/random.ts'
import { fromWgs84 } from '../../functions/core/geo.ts'
import { CELL_SIZE_M } from '../../functions/core/reference/grid.ts'
import { formatDay, parseDate } from '../../functions/core/time/days.ts'
import { londonDayOf, londonMidnight } from '../../functions/core/time/london.ts'

/**
 * The GPS pings of the demo city (functions/core/generate/pings.ts), checked from the rows it writes: positions
 * read back from lat/lon as the ingest reads them, against the planted visits this test plants itself. Four days
 * across the spring clock change, on the real city's hotspots.
 */

const SEED = 5
const DAYS = ['2026-03-27', '2026-03-28', '2026-03-29', '2026-03-30'].map((d) => parseDate(d) as number)
const hotspots = buildCity(SEED, 150, new Map()).hotspots

interface Ping {
  at: number
  values: Values
  planted: Point
  /** The fix in BNG metres, as the ingest reads it (rounded to whole metres). */
  e: number
  n: number
  accuracy: number
  good: boolean
}

/** Each hotspot's GPS visits of a day: a few, some overlapping, 1-4 officers, 2-40 minutes, whole seconds. */
function plantVisits(day: number): PlantedVisit[] {
  const random = new Random(SEED, 'test visits', day)
  const midnight = londonMidnight(day).getTime()
  let id = 0
  return hotspots.flatMap((hotspot) =>
    Array.from({ length: random.poisson(2) }, () => {
      const startedAt = midnight + Math.floor(random.uniform(7 * 3600, 23 * 3600)) * 1000
      return {
        visitId: `PV-${day}-${++id}`,
        hotspot,
        startedAt,
        endedAt: startedAt + Math.floor(random.uniform(120, 2400)) * 1000,
        officers: random.int(1, 4),
      }
    }),
  )
}

const planted = new Map(DAYS.map((day) => [day, plantVisits(day)]))

function generate(seed: number): { pings: Ping[]; truth: PingsTruth } {
  const pings: Ping[] = []
  const planter = new PatrolPings(hotspots)
  DAYS.forEach((day, i) => {
    planter.day(day, new Random(seed, 'patrol_pings', i), planted.get(day) ?? [], (at, values, where) => {
      const { easting, northing } = fromWgs84(Number(values.lat), Number(values.lon))
      const accuracy = Number(values.accuracy_m)
      pings.push({
        at,
        values,
        planted: where,
        e: Math.round(easting),
        n: Math.round(northing),
        accuracy,
        good: accuracy <= 50,
      })
      return true
    })
  })
  return { pings, truth: planter.truth() }
}

/** Whether a fix is within `cells` 25 m cells of the hotspot's cells (its rect is whole cells). */
function nearRect(rect: Rect, e: number, n: number, cells: number): boolean {
  const x = Math.floor(e / CELL_SIZE_M)
  const y = Math.floor(n / CELL_SIZE_M)
  return (
    x >= rect.west / CELL_SIZE_M - cells &&
    x < rect.east / CELL_SIZE_M + cells &&
    y >= rect.south / CELL_SIZE_M - cells &&
    y < rect.north / CELL_SIZE_M + cells
  )
}

/** A device's pings split into tracks: runs with no gap of restS or more. */
function tracksOf(pings: Ping[]): Ping[][] {
  const byDevice = new Map<string, Ping[]>()
  for (const ping of pings) {
    const list = byDevice.get(ping.values.device_id as string) ?? []
    list.push(ping)
    byDevice.set(ping.values.device_id as string, list)
  }
  const tracks: Ping[][] = []
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.at - b.at)
    list.forEach((ping, i) => {
      if (i === 0 || ping.at - (list[i - 1] as Ping).at >= PINGS.restS * 1000) tracks.push([])
      tracks.at(-1)?.push(ping)
    })
  }
  return tracks
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const isVehicle = (ping: Ping) => (ping.values.team as string).endsWith('-RESPONSE')
/** The hotspot whose tolerance a track's good fixes are in (vehicles and visits), else the nearest. */
const hotspotOf = (track: Ping[]) =>
  hotspots
    .map((h) => ({ h, d: Math.min(...track.map((p) => distanceToRect(p.planted, h.rect))) }))
    .sort((a, b) => a.d - b.d)[0]?.h as Hotspot
const distanceToRect = (p: Point, rect: Rect) =>
  Math.hypot(Math.max(rect.west - p.e, 0, p.e - rect.east), Math.max(rect.south - p.n, 0, p.n - rect.north))

let pings: Ping[]
let truth: PingsTruth
let tracks: Ping[][]
const allVisits = [...planted.values()].flat()

beforeAll(() => {
  ;({ pings, truth } = generate(SEED))
  tracks = tracksOf(pings)
})

describe('generated GPS pings', () => {
  it('are the same for the same seed and others for another', () => {
    const again = generate(SEED)
    expect(again.pings.map((p) => p.values)).toEqual(pings.map((p) => p.values))
    expect(again.truth).toEqual(truth)
    const other = generate(SEED + 1)
    expect(other.pings.map((p) => p.values)).not.toEqual(pings.map((p) => p.values))
  })

  it('write rows the contract reads: ISO times with an offset, WGS84, accuracy, most speeds, headings', () => {
    expect(pings.length).toBeGreaterThan(10_000)
    // one expect per row would cost more than the check: collect what fails, compare once
    const misfits = pings
      .map((p) => p.values)
      .filter(
        (values) =>
          !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/.test(values.recorded_at as string) ||
          !/^\d{7}$/.test(values.device_id as string) ||
          !/^-?\d+\.\d{6}$/.test(values.lat as string) ||
          !new RegExp(`^${values.team}-\\d{4}-\\d\\d-\\d\\d-[EL]$`).test(values.shift_id as string),
      )
    expect(misfits).toEqual([])
    const heading = pings.map((p) => Number(p.values.heading))
    expect(heading.every((h) => Number.isInteger(h) && h >= 0 && h < 360)).toBe(true)
    const missingSpeed = pings.filter((p) => p.values.speed_mps === '').length / pings.length
    expect(missingSpeed).toBeGreaterThan(0.03)
    expect(missingSpeed).toBeLessThan(PINGS.speedMissingShare * 1.5)
  })

  it('scatter each fix by 5 to 30 m (median), with accuracy_m near it; a few bad fixes are far off and flagged', () => {
    const good = pings.filter((p) => p.good)
    const error = (p: Ping) => Math.hypot(p.e - p.planted.e, p.n - p.planted.n)
    const errors = good.map(error)
    expect(median(errors)).toBeGreaterThan(5)
    expect(median(errors)).toBeLessThan(30)
    // each axis at most 2.5 sigmas of at most 25 x 1.15 m, plus the ingest's rounding
    expect(Math.max(...errors)).toBeLessThan(Math.SQRT2 * 2.5 * 25 * 1.15 + 1)
    // a circular normal's median radius is 1.18 sigma; accuracy_m is reported within 10% of sigma
    const ratio = median(good.map((p) => error(p) / p.accuracy))
    expect(ratio).toBeGreaterThan(1.05)
    expect(ratio).toBeLessThan(1.3)
    expect(good.every((p) => p.accuracy >= 5 * 0.9 && p.accuracy <= 25 * 1.15 * 1.1)).toBe(true)

    const bad = pings.filter((p) => !p.good)
    expect(bad.length).toBe(truth.pings.bad_fixes)
    expect(bad.length / pings.length).toBeGreaterThan(0.015)
    expect(bad.length / pings.length).toBeLessThan(0.05)
    expect(bad.every((p) => p.accuracy >= 60 && p.accuracy <= 300 && error(p) >= 59)).toBe(true)
  })

  it('ping every 5-30 s (cars 5-8 s), but for dropouts of 1-4 minutes, and rest 10 minutes between tracks', () => {
    const gaps: number[] = []
    const outOfRange: number[] = []
    let dropouts = 0
    for (const track of tracks) {
      const [low, high] = isVehicle(track[0] as Ping) ? PINGS.vehicleIntervalS : PINGS.intervalS
      for (let i = 1; i < track.length; i++) {
        const gap = ((track[i] as Ping).at - (track[i - 1] as Ping).at) / 1000
        if (gap >= 60 && gap <= 240) dropouts++
        else if (gap < low || gap > high) outOfRange.push(gap)
        else if (!isVehicle(track[0] as Ping)) gaps.push(gap)
      }
    }
    expect(outOfRange).toEqual([])
    expect(dropouts).toBe(truth.pings.dropouts)
    expect(dropouts).toBeGreaterThan(5)
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length
    expect(mean).toBeGreaterThan(16.5)
    expect(mean).toBeLessThan(18.5)
    expect(gaps.filter((g) => g === 5).length).toBeGreaterThan(0)
    expect(gaps.filter((g) => g === 30).length).toBeGreaterThan(0)
  })

  it('cars cross each hotspot as planted, faster than walking, with a good fix inside its tolerance', () => {
    const crossings = tracks.filter((track) => isVehicle(track[0] as Ping))
    const perHotspotDay = new Map<string, number>()
    for (const track of crossings) {
      expect(track.every((p) => p.values.speed_mps !== '' && Number(p.values.speed_mps) > 3)).toBe(true)
      const hotspot = hotspotOf(track)
      expect(track.some((p) => p.good && nearRect(hotspot.rect, p.e, p.n, 1))).toBe(true)
      const key = `${hotspot.id} ${londonDayOf((track[0] as Ping).at)}`
      perHotspotDay.set(key, (perHotspotDay.get(key) ?? 0) + 1)
    }
    const planted = truth.presence.filter((row) => row.pass_throughs > 0)
    expect(planted.length).toBeGreaterThan(40)
    expect(Object.fromEntries(perHotspotDay)).toEqual(
      Object.fromEntries(planted.map((row) => [`${row.hotspot_id} ${row.date}`, row.pass_throughs])),
    )
  })

  it('officers standing outside a hotspot never come within two cells of it (good fixes)', () => {
    const visitDevices = new Map(truth.visits.map((v) => [v.visit_id, v.devices]))
    const onVisit = (track: Ping[]) =>
      allVisits.some(
        (v) =>
          visitDevices.get(v.visitId)?.includes(track[0]?.values.device_id as string) &&
          (track[0] as Ping).at <= v.endedAt &&
          (track.at(-1) as Ping).at >= v.startedAt,
      )
    const loiters = tracks.filter((track) => !isVehicle(track[0] as Ping) && !onVisit(track))
    const perHotspotDay = new Map<string, number>()
    for (const track of loiters) {
      const hotspot = hotspotOf(track)
      const near = track.filter((p) => p.good && hotspots.some((h) => nearRect(h.rect, p.e, p.n, 2)))
      expect(near).toEqual([])
      const key = `${hotspot.id} ${londonDayOf((track[0] as Ping).at)}`
      perHotspotDay.set(key, (perHotspotDay.get(key) ?? 0) + 1)
    }
    const planted = truth.presence.filter((row) => row.loiterers > 0)
    expect(planted.length).toBeGreaterThan(5)
    expect(Object.fromEntries(perHotspotDay)).toEqual(
      Object.fromEntries(planted.map((row) => [`${row.hotspot_id} ${row.date}`, row.loiterers])),
    )
  })

  it("every planted visit has each of its officers' devices pinging inside the hotspot, from about its start", () => {
    expect(truth.visits.map((v) => v.visit_id)).toEqual(allVisits.map((v) => v.visitId))
    const byDevice = new Map<string, Ping[]>()
    for (const ping of pings)
      byDevice.set(ping.values.device_id as string, [
        ...(byDevice.get(ping.values.device_id as string) ?? []),
        ping,
      ])
    const lateStarts: number[] = []
    for (const visit of allVisits) {
      const devices = truth.visits.find((v) => v.visit_id === visit.visitId)?.devices ?? []
      expect(new Set(devices).size).toBe(visit.officers)
      for (const device of devices) {
        const during = (byDevice.get(device) ?? []).filter(
          (p) => p.good && p.at >= visit.startedAt && p.at <= visit.endedAt,
        )
        expect(during.some((p) => nearRect(visit.hotspot.rect, p.e, p.n, 0))).toBe(true)
        const first = (byDevice.get(device) ?? []).find(
          (p) => p.good && p.at >= visit.startedAt - 120_000 && nearRect(visit.hotspot.rect, p.e, p.n, 1),
        )
        lateStarts.push(((first as Ping).at - visit.startedAt) / 1000)
      }
    }
    // the first ping that counts: within one interval of the planted start, nearly always
    expect(median(lateStarts)).toBeGreaterThan(-10)
    expect(median(lateStarts)).toBeLessThan(20)
    expect(
      lateStarts.filter((s) => Math.abs(s) > PINGS.intervalS[1]).length / lateStarts.length,
    ).toBeLessThan(0.1)
  })

  it('truth.json has the planted presence per hotspot-day: the union of its visits, counted second by second', () => {
    expect(truth.period).toEqual({ first_day: '2026-03-27', last_day: '2026-03-30', days: 4 })
    expect(truth.presence).toHaveLength(hotspots.length * DAYS.length)
    const devicesOf = new Map(truth.visits.map((v) => [v.visit_id, v.devices]))
    for (const day of DAYS) {
      for (const hotspot of hotspots) {
        const own = (planted.get(day) ?? []).filter((v) => v.hotspot === hotspot)
        const midnight = londonMidnight(day).getTime()
        const present = new Uint8Array(2 * 86_400)
        for (const v of own) present.fill(1, (v.startedAt - midnight) / 1000, (v.endedAt - midnight) / 1000)
        const row = truth.presence.find((r) => r.hotspot_id === hotspot.id && r.date === formatDay(day))
        expect(row?.presence_minutes).toBeCloseTo(present.reduce((a, b) => a + b, 0) / 60, 2)
        expect(row?.officer_minutes).toBeCloseTo(
          own.reduce((a, v) => a + ((v.endedAt - v.startedAt) / 60_000) * v.officers, 0),
          2,
        )
        expect(row?.visits).toBe(own.reduce((a, v) => a + v.officers, 0))
        expect(row?.devices).toBe(new Set(own.flatMap((v) => devicesOf.get(v.visitId) ?? [])).size)
      }
    }
    expect(truth.presence.filter((r) => r.presence_minutes > 0).length).toBeGreaterThan(40)
    expect(truth.devices.officers).toBeGreaterThan(10)
    expect(truth.devices.vehicles).toBeGreaterThan(4)
    expect(truth.pings.rows).toBe(pings.length)
  })
})
