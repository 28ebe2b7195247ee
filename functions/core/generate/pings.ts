import { toWgs84 } from '../geo.ts'
import { CELL_SIZE_M } from '../reference/grid.ts'
import { DAY_MS, formatDay } from '../time/days.ts'
import { londonOffsetMs, londonToUtc } from '../time/london.ts'
import { HOUR_MS, isoUtc, isoUtcOffset } from './calendar.ts'
import type { Hotspot, Rect } from './city.ts'
import type { Values } from './columns.ts'
import type { Random } from './random.ts'

/**
 * The demo city's GPS pings (DESIGN section 12): the devices of the officers on the planted GPS patrol visits,
 * with the noise that presence must see through (scatter, bad fixes, irregular intervals, dropouts), plus
 * response cars crossing the hotspots and officers standing just outside them, which must never count as a
 * visit. Every position is planned in British National Grid metres and written in WGS84.
 */
export const PINGS = {
  /** Pings cover the last this many days of the generated period. */
  defaultDays: 28,
  /** Seconds between a device's pings, drawn for each interval. */
  intervalS: [5, 30],
  walkingMps: [1.2, 1.6],
  /** Officers walk in from this far outside the hotspot, and out as far. */
  approachM: [60, 150],
  /**
   * Where an officer is at the planted start (and end) of a visit: this far outside the hotspot's edge, at the
   * outer edge of presence's one-cell tolerance (DESIGN 12; hotspots are whole 25 m cells). The first ping that
   * counts then comes within one interval after the planted start (some 10 s on average) and the last about as
   * long before the planted end, which the presence rule's half median interval (some 9 s) makes up.
   */
  arrivalOffsetM: CELL_SIZE_M,
  /** Inside a hotspot officers keep this far from its edge while they walk about, or stand. */
  insideMarginM: 10,
  standShare: 0.4,
  standS: [20, 150],
  /** An officer's device's scatter: sigma (m, each axis) = min + (max - min) u^2 per device and visit. */
  sigmaM: [5, 25],
  /** Each fix's sigma varies by this factor around its device's (not below 5 m); accuracy_m within 10% of it. */
  fixSigmaFactor: [0.85, 1.15],
  /** A fix's error along each axis is at most this many sigmas. */
  maxErrorSigmas: 2.5,
  speedMissingShare: 0.08,
  /** Fixes with a bad accuracy (over the ingest's 50 m limit) and a position that far off, or half as far again. */
  badFixShare: 0.03,
  badAccuracyM: [60, 300],
  /** A device on a visit of at least dropoutMinVisitS goes silent once with this chance, for so many seconds. */
  dropoutShare: 0.15,
  dropoutS: [60, 240],
  dropoutMinVisitS: 360,
  /** A device rests at least this long between two of its tracks. */
  restS: 600,
  /** Response cars: crossings per hotspot-day (Poisson), speed, ping interval, and how far they drive either side. */
  vehiclesPerHotspotDay: 4,
  vehicleMps: [8, 15],
  vehicleIntervalS: [5, 8],
  vehicleReachM: 150,
  vehicleSigmaM: [5, 12],
  /**
   * A car's crossing line passes through a point this far inside the hotspot, where it pings with a good fix:
   * its error (at most 2.5 x 12 x 1.15 = 34.5 m) keeps it within the one-cell tolerance (15 + 25 = 40 m).
   */
  vehicleInsideM: 15,
  /** Officers standing outside a hotspot: per hotspot-day (Poisson), minutes, distance from its edge, scatter. */
  loiterersPerHotspotDay: 0.4,
  loiterMinutes: [10, 20],
  loiterDistanceM: [85, 120],
  loiterShuffleM: 2,
  loiterSigmaM: [5, 10],
  /** Loiters and crossings begin between these London hours (visits come planted). */
  activeHours: [7, 23.5],
} as const

/** A patrol visit planted with `source = gps` (a row of patrol_visits), whole seconds. */
export interface PlantedVisit {
  visitId: string
  hotspot: Hotspot
  startedAt: number
  endedAt: number
  officers: number
}

export interface PingsTruth {
  /** First and last day with pings (null when the generator made none). */
  period: { first_day: string; last_day: string; days: number } | null
  devices: { officers: number; vehicles: number }
  pings: { rows: number; bad_fixes: number; dropouts: number }
  parameters: typeof PINGS
  rules: string
  /** Per hotspot and London day of the period: the planted presence (minutes to 2 decimals). */
  presence: PresenceTruth[]
  /** Every planted GPS visit of the period and the raw ids of the devices that pinged through it. */
  visits: { visit_id: string; hotspot_id: string; started_at: string; ended_at: string; devices: string[] }[]
}

export interface PresenceTruth {
  hotspot_id: string
  date: string
  presence_minutes: number
  officer_minutes: number
  visits: number
  devices: number
  pass_throughs: number
  loiterers: number
}

export interface Point {
  e: number
  n: number
}

/**
 * Receives a ping: its time (ms), its drop row, and where the device really was (BNG metres, before the scatter:
 * what a check of the scatter compares with). Returns whether the row was kept.
 */
export type Emit = (at: number, values: Values, planted: Point) => boolean

interface Waypoint extends Point {
  /** Seconds since 1970-01-01 UTC. */
  t: number
}

type DeviceKind = 'officer' | 'vehicle'

interface Device {
  id: string
  kind: DeviceKind
  borough: string
  team: string
  /** End (s) of its last track. */
  busyUntil: number
}

interface Track {
  kind: 'visit' | 'loiter' | 'vehicle'
  hotspot: Hotspot
  waypoints: Waypoint[]
  /** Devices that follow it (the officers of a visit walk together). */
  devices: number
  sigmaM: readonly [number, number]
  intervalS: readonly [number, number]
  visit?: PlantedVisit
  /** A vehicle pings when at this point of its crossing, inside the hotspot. */
  anchorS?: number
}

const SIDES: Point[] = [
  { e: -1, n: 0 },
  { e: 1, n: 0 },
  { e: 0, n: -1 },
  { e: 0, n: 1 },
]

const add = (p: Point, direction: Point, metres: number): Point => ({
  e: p.e + direction.e * metres,
  n: p.n + direction.n * metres,
})
const distance = (a: Point, b: Point) => Math.hypot(a.e - b.e, a.n - b.n)

/** A point on side `side` of the rectangle, at least `margin` from its corners. */
function pointOnSide(random: Random, rect: Rect, side: number, margin: number): Point {
  const along = (from: number, to: number) => random.uniform(from + margin, to - margin)
  if (side === 0) return { e: rect.west, n: along(rect.south, rect.north) }
  if (side === 1) return { e: rect.east, n: along(rect.south, rect.north) }
  if (side === 2) return { e: along(rect.west, rect.east), n: rect.south }
  return { e: along(rect.west, rect.east), n: rect.north }
}

/** The nearest side of the rectangle to a point inside it, and the point on it straight ahead. */
function nearestExit(rect: Rect, p: Point): { side: number; at: Point; metres: number } {
  const gaps = [p.e - rect.west, rect.east - p.e, p.n - rect.south, rect.north - p.n]
  const side = gaps.indexOf(Math.min(...gaps))
  const metres = gaps[side] as number
  return { side, at: add(p, SIDES[side] as Point, metres), metres }
}

/**
 * An officer's walk through a planted visit: in from outside along a side's normal, about the hotspot (walking
 * or standing, at least insideMarginM from its edge), and out again by the nearest side, so that the officer
 * is arrivalOffsetM outside the edge at the visit's planted start and end.
 */
function visitWalk(random: Random, visit: PlantedVisit): Waypoint[] {
  const rect = visit.hotspot.rect
  const speed = random.uniform(...PINGS.walkingMps)
  const offset = PINGS.arrivalOffsetM
  const margin = PINGS.insideMarginM
  const side = random.int(0, 3)
  const normal = SIDES[side] as Point
  const entry = pointOnSide(random, rect, side, margin)
  const approach = random.uniform(...PINGS.approachM)
  const start = visit.startedAt / 1000
  const end = visit.endedAt / 1000
  const waypoints: Waypoint[] = [
    { t: start - (offset + approach) / speed, ...add(entry, normal, offset + approach) },
    { t: start + offset / speed, ...entry },
  ]
  const atEdgeOut = end - offset / speed
  let here: Point = entry
  let t = start + offset / speed
  for (;;) {
    const slack = atEdgeOut - t - nearestExit(rect, here).metres / speed
    if (slack < 5) break
    if (random.chance(PINGS.standShare)) {
      t += Math.min(random.uniform(...PINGS.standS), slack)
      waypoints.push({ t, ...here })
      continue
    }
    const target = {
      e: random.uniform(rect.west + margin, rect.east - margin),
      n: random.uniform(rect.south + margin, rect.north - margin),
    }
    const walk = distance(here, target) / speed
    if (t + walk + nearestExit(rect, target).metres / speed > atEdgeOut) {
      t += slack
      waypoints.push({ t, ...here })
      continue
    }
    t += walk
    here = target
    waypoints.push({ t, ...here })
  }
  const exit = nearestExit(rect, here)
  const outward = SIDES[exit.side] as Point
  const leave = random.uniform(...PINGS.approachM)
  waypoints.push(
    { t: atEdgeOut - exit.metres / speed, ...here },
    { t: atEdgeOut, ...exit.at },
    { t: end + leave / speed, ...add(exit.at, outward, offset + leave) },
  )
  return waypoints
}

/**
 * An officer standing outside a hotspot, loiterDistanceM from one side, walking up to the spot and away along
 * that side's normal. Presence counts a fix up to one cell (25 m) outside the edge; the loiterer's fixes stay
 * more than one cell beyond that, over 50 m out: the spot is at least 85 m out, the shuffle at most 2 m, and a
 * fix's error along the normal at most maxErrorSigmas x the largest loiter sigma x fixSigmaFactor's top,
 * 2.5 x 10 x 1.15 = 28.75 m: 85 - 2 - 28.75 = 54.25 m, over 50 m even after the ingest rounds to whole metres.
 * Only a bad fix (accuracy over 50 m, left out of presence) lands nearer.
 */
function loiterWalk(random: Random, hotspot: Hotspot, startS: number): Waypoint[] {
  const side = random.int(0, 3)
  const normal = SIDES[side] as Point
  const spot = add(
    pointOnSide(random, hotspot.rect, side, 0),
    normal,
    random.uniform(...PINGS.loiterDistanceM),
  )
  const speed = random.uniform(...PINGS.walkingMps)
  const approach = random.uniform(...PINGS.approachM)
  const waypoints: Waypoint[] = [{ t: startS, ...add(spot, normal, approach) }]
  let t = startS + approach / speed
  waypoints.push({ t, ...spot })
  const until = t + random.uniform(...PINGS.loiterMinutes) * 60
  const shuffle = PINGS.loiterShuffleM
  while (t < until) {
    t = Math.min(until, t + random.uniform(30, 180))
    waypoints.push({
      t,
      e: spot.e + random.uniform(-shuffle, shuffle),
      n: spot.n + random.uniform(-shuffle, shuffle),
    })
  }
  waypoints.push({ t: t + approach / speed, ...add(spot, normal, approach) })
  return waypoints
}

/** A response car crossing a hotspot in a straight line, through a point vehicleInsideM inside it at atS. */
function vehicleCrossing(random: Random, hotspot: Hotspot, atS: number): Waypoint[] {
  const rect = hotspot.rect
  const through = {
    e: random.uniform(rect.west + PINGS.vehicleInsideM, rect.east - PINGS.vehicleInsideM),
    n: random.uniform(rect.south + PINGS.vehicleInsideM, rect.north - PINGS.vehicleInsideM),
  }
  const angle = random.uniform(0, 2 * Math.PI)
  const direction = { e: Math.sin(angle), n: Math.cos(angle) }
  const speed = random.uniform(...PINGS.vehicleMps)
  const reach = PINGS.vehicleReachM
  return [
    { t: atS - reach / speed, ...add(through, direction, -reach) },
    { t: atS, ...through },
    { t: atS + reach / speed, ...add(through, direction, reach) },
  ]
}

/** Position, speed (m/s) and heading (degrees from north) at time t of a piecewise-linear track. */
function positionAt(waypoints: Waypoint[], t: number) {
  let i = 1
  while (i < waypoints.length - 1 && (waypoints[i] as Waypoint).t < t) i++
  const a = waypoints[i - 1] as Waypoint
  const b = waypoints[i] as Waypoint
  const span = b.t - a.t
  const f = span > 0 ? Math.min(1, Math.max(0, (t - a.t) / span)) : 1
  const metres = distance(a, b)
  return {
    e: a.e + (b.e - a.e) * f,
    n: a.n + (b.n - a.n) * f,
    speed: span > 0 ? metres / span : 0,
    heading: metres > 0 ? (Math.atan2(b.e - a.e, b.n - a.n) * 180) / Math.PI : undefined,
  }
}

/** A standard normal draw no further than `limit` from 0. */
function truncatedNormal(random: Random, limit: number): number {
  for (;;) {
    const z = random.normal()
    if (Math.abs(z) <= limit) return z
  }
}

/** The shift a track belongs to: early until 15:00 London, late after. */
function shiftOf(device: Device, utcMs: number): string {
  const local = utcMs + londonOffsetMs(utcMs)
  const early = local % DAY_MS < 15 * HOUR_MS
  return `${device.team}-${formatDay(Math.floor(local / DAY_MS))}-${early ? 'E' : 'L'}`
}

const round1 = (x: number) => (Math.round(x * 10) / 10).toFixed(1)
const minutes2 = (seconds: number) => Math.round((seconds / 60) * 100) / 100

/** Total length (s) of the union of intervals. */
function unionSeconds(intervals: [number, number][]): number {
  let total = 0
  let until = Number.NEGATIVE_INFINITY
  for (const [from, to] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (to <= until) continue
    total += to - Math.max(from, until)
    until = to
  }
  return total
}

/**
 * The pings of the ping period, day by day, from one stream per day (`Random(seed, 'patrol_pings', day index)`),
 * with the devices (a pool that grows as the busiest moment needs: a device rests restS between two tracks) and
 * what truth.json records of them.
 */
export class PatrolPings {
  private readonly devices: Device[] = []
  private readonly ids = new Set<string>()
  private readonly presence: PresenceTruth[] = []
  private readonly visits: PingsTruth['visits'] = []
  private readonly counts = { rows: 0, bad_fixes: 0, dropouts: 0 }
  private firstDay: number | undefined
  private lastDay: number | undefined

  constructor(private readonly hotspots: Hotspot[]) {}

  /**
   * Plans one day's tracks (the day's GPS visits, loiterers and crossings), gives each its devices, and emits
   * their pings; `emit` says whether the row was kept (not past the period's end).
   */
  day(day: number, random: Random, visits: PlantedVisit[], emit: Emit): void {
    this.firstDay ??= day
    this.lastDay = day
    const tracks: Track[] = visits.map((visit) => ({
      kind: 'visit',
      hotspot: visit.hotspot,
      waypoints: visitWalk(random, visit),
      devices: visit.officers,
      sigmaM: PINGS.sigmaM,
      intervalS: PINGS.intervalS,
      visit,
    }))
    const activeStart = () =>
      Math.round(londonToUtc(day, random.uniform(PINGS.activeHours[0], PINGS.activeHours[1]) * 60) / 1000)
    for (const hotspot of this.hotspots) {
      const loiterers = random.poisson(PINGS.loiterersPerHotspotDay)
      for (let k = 0; k < loiterers; k++)
        tracks.push({
          kind: 'loiter',
          hotspot,
          waypoints: loiterWalk(random, hotspot, activeStart()),
          devices: 1,
          sigmaM: PINGS.loiterSigmaM,
          intervalS: PINGS.intervalS,
        })
      const crossings = random.poisson(PINGS.vehiclesPerHotspotDay)
      for (let k = 0; k < crossings; k++) {
        const atS = activeStart()
        tracks.push({
          kind: 'vehicle',
          hotspot,
          waypoints: vehicleCrossing(random, hotspot, atS),
          devices: 1,
          sigmaM: PINGS.vehicleSigmaM,
          intervalS: PINGS.vehicleIntervalS,
          anchorS: atS,
        })
      }
    }
    tracks.sort((a, b) => (a.waypoints[0] as Waypoint).t - (b.waypoints[0] as Waypoint).t)

    const devicesOfVisit = new Map<PlantedVisit, Device[]>()
    for (const track of tracks) {
      const kind: DeviceKind = track.kind === 'vehicle' ? 'vehicle' : 'officer'
      const devices = this.freeDevices(random, kind, track)
      if (track.visit) devicesOfVisit.set(track.visit, devices)
      for (const device of devices) this.emitTrack(random, track, device, emit)
    }
    this.recordDay(day, visits, tracks, devicesOfVisit)
  }

  /** The track's devices: free ones of its hotspot's borough (new ones when all are busy), marked busy. */
  private freeDevices(random: Random, kind: DeviceKind, track: Track): Device[] {
    const borough = track.hotspot.borough
    const from = (track.waypoints[0] as Waypoint).t
    const until = (track.waypoints.at(-1) as Waypoint).t
    const free = this.devices.filter(
      (d) => d.kind === kind && d.borough === borough && d.busyUntil + PINGS.restS <= from,
    )
    const chosen: Device[] = []
    for (let k = 0; k < track.devices; k++) {
      const device =
        free.length > 0
          ? (free.splice(random.int(0, free.length - 1), 1)[0] as Device)
          : this.newDevice(random, kind, borough)
      device.busyUntil = until
      chosen.push(device)
    }
    return chosen
  }

  /** A device with an id as a force's radio system sends it: an Airwave-like ISSI, 7 digits. */
  private newDevice(random: Random, kind: DeviceKind, borough: string): Device {
    let id: string
    do
      id = String(
        random.int(kind === 'officer' ? 2_400_000 : 2_900_000, kind === 'officer' ? 2_899_999 : 2_999_999),
      )
    while (this.ids.has(id))
    this.ids.add(id)
    const device: Device = {
      id,
      kind,
      borough,
      team: `${borough.slice(0, 3).toUpperCase()}-${kind === 'officer' ? 'SNT' : 'RESPONSE'}`,
      busyUntil: Number.NEGATIVE_INFINITY,
    }
    this.devices.push(device)
    return device
  }

  /** One device's pings along a track: irregular intervals, scatter, bad fixes, maybe a dropout. */
  private emitTrack(random: Random, track: Track, device: Device, emit: Emit): void {
    const waypoints = track.waypoints
    const from = Math.ceil((waypoints[0] as Waypoint).t)
    const until = (waypoints.at(-1) as Waypoint).t
    const interval = () => random.int(...track.intervalS)
    const times: number[] = []
    if (track.anchorS !== undefined) {
      for (let t = track.anchorS - interval(); t >= from; t -= interval()) times.push(t)
      times.reverse()
      for (let t = track.anchorS; t <= until; t += interval()) times.push(t)
    } else {
      const visit = track.visit
      let dropoutAt = Number.POSITIVE_INFINITY
      if (
        visit &&
        visit.endedAt - visit.startedAt >= PINGS.dropoutMinVisitS * 1000 &&
        random.chance(PINGS.dropoutShare)
      ) {
        dropoutAt = random.uniform(visit.startedAt / 1000 + 60, visit.endedAt / 1000 - 60 - PINGS.dropoutS[1])
        this.counts.dropouts++
      }
      for (let t = from + random.int(0, PINGS.intervalS[0]); t <= until; ) {
        times.push(t)
        if (t >= dropoutAt) {
          t += random.int(...PINGS.dropoutS)
          dropoutAt = Number.POSITIVE_INFINITY
        } else t += interval()
      }
    }

    const [low, high] = track.sigmaM
    const sigma = low + (high - low) * (track.kind === 'visit' ? random.next() ** 2 : random.next())
    const shift = shiftOf(device, from * 1000)
    for (const t of times) {
      const at = positionAt(waypoints, t)
      let e = at.e
      let n = at.n
      let accuracy: number
      if (t !== track.anchorS && random.chance(PINGS.badFixShare)) {
        accuracy = random.uniform(...PINGS.badAccuracyM)
        const off = accuracy * random.uniform(1, 1.5)
        const angle = random.uniform(0, 2 * Math.PI)
        e += off * Math.sin(angle)
        n += off * Math.cos(angle)
        this.counts.bad_fixes++
      } else {
        const fixSigma = Math.max(PINGS.sigmaM[0], sigma * random.uniform(...PINGS.fixSigmaFactor))
        e += fixSigma * truncatedNormal(random, PINGS.maxErrorSigmas)
        n += fixSigma * truncatedNormal(random, PINGS.maxErrorSigmas)
        accuracy = fixSigma * random.uniform(0.9, 1.1)
      }
      const moving = at.heading !== undefined && at.speed > 0.2
      const reported = Math.max(0, at.speed + random.normal() * (device.kind === 'vehicle' ? 0.5 : 0.15))
      const speedMissing = device.kind === 'officer' && random.chance(PINGS.speedMissingShare)
      const heading = moving ? (at.heading as number) + random.normal() * 8 : random.uniform(0, 360)
      const { lat, lon } = toWgs84(e, n)
      const values: Values = {
        device_id: device.id,
        recorded_at: isoUtcOffset(t * 1000),
        lat: lat.toFixed(6),
        lon: lon.toFixed(6),
        accuracy_m: round1(accuracy),
        speed_mps: speedMissing ? '' : round1(moving ? reported : Math.abs(random.normal() * 0.15)),
        heading: String(Math.round((heading + 360) % 360) % 360),
        team: device.team,
        shift_id: shift,
      }
      if (emit(t * 1000, values, { e: at.e, n: at.n })) this.counts.rows++
    }
  }

  private recordDay(
    day: number,
    visits: PlantedVisit[],
    tracks: Track[],
    devicesOfVisit: Map<PlantedVisit, Device[]>,
  ): void {
    for (const visit of visits)
      this.visits.push({
        visit_id: visit.visitId,
        hotspot_id: visit.hotspot.id,
        started_at: isoUtc(visit.startedAt),
        ended_at: isoUtc(visit.endedAt),
        devices: (devicesOfVisit.get(visit) ?? []).map((d) => d.id),
      })
    for (const hotspot of this.hotspots) {
      const own = visits.filter((v) => v.hotspot === hotspot)
      const devices = new Set(own.flatMap((v) => (devicesOfVisit.get(v) ?? []).map((d) => d.id)))
      const ownTracks = tracks.filter((t) => t.hotspot === hotspot)
      this.presence.push({
        hotspot_id: hotspot.id,
        date: formatDay(day),
        presence_minutes: minutes2(unionSeconds(own.map((v) => [v.startedAt / 1000, v.endedAt / 1000]))),
        officer_minutes: minutes2(
          own.reduce((a, v) => a + ((v.endedAt - v.startedAt) / 1000) * v.officers, 0),
        ),
        visits: own.reduce((a, v) => a + v.officers, 0),
        devices: devices.size,
        pass_throughs: ownTracks.filter((t) => t.kind === 'vehicle').length,
        loiterers: ownTracks.filter((t) => t.kind === 'loiter').length,
      })
    }
  }

  truth(): PingsTruth {
    const count = (kind: DeviceKind) => this.devices.filter((d) => d.kind === kind).length
    return {
      period:
        this.firstDay === undefined || this.lastDay === undefined
          ? null
          : {
              first_day: formatDay(this.firstDay),
              last_day: formatDay(this.lastDay),
              days: this.lastDay - this.firstDay + 1,
            },
      devices: { officers: count('officer'), vehicles: count('vehicle') },
      pings: this.counts,
      parameters: PINGS,
      rules:
        "a drop holds the pings recorded on its London day; device ids are raw (the ingest pseudonymises them); a planted visit's presence is its interval (started_at to ended_at of its patrol_visits row), counted on the London day it started; visits = device visits (officers summed); pass_throughs = response cars driven through the hotspot; loiterers = officers standing outside it (parameters.loiterDistanceM from its edge), who must never count; pings after the last day's midnight are not written",
      presence: this.presence,
      visits: this.visits,
    }
  }
}
