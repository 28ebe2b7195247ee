import { formatDay, parseDate, weekday } from '../time/days.ts'
import type { Hotspot } from './city.ts'

/** The scales, the programme's timeline and every planted rate of the synthetic city (all echoed in truth.json). */

export type Scale = 'demo' | 'london'
export const SCALES: Record<Scale, { incidentsPerDay: number; tipsPerDay: number; defaultYears: number }> = {
  /** About 55,000 incidents a year: small enough for `npm start`, busy enough to detect the patrol effect. */
  demo: { incidentsPerDay: 150, tipsPerDay: 4, defaultYears: 2 },
  /** About 1.2 million incidents a year (the Met records ~900,000 crimes plus anti-social behaviour). */
  london: { incidentsPerDay: 3300, tipsPerDay: 40, defaultYears: 5 },
}

/** Default last day of data: a Sunday, safely before any ingest clock from 2026-11-17 on. */
export const DEFAULT_END_DATE = '2026-11-15'
export const GENERATOR_VERSION = 1

/** The programme and its planted effects. */
export const PROGRAMME = {
  clearWeeks: 4,
  buildWeeks: 8,
  /** Every third hotspot (HS-03, HS-06, ...) moves from hold to build for the last weeks, when hold is long enough. */
  minHoldWeeksForBuild: 24,
  /** Share of the hotspots in hold assigned a patrol each day (8 of 20, Essex style). */
  assignedShare: 0.4,
  /** Incidents in a hotspot fall by this share during clear (crackdown) ... */
  clearReduction: 0.35,
  /** ... by this share on every day of hold ... */
  holdReduction: 0.15,
  /** ... and by this share more on the days it is assigned a patrol (intention to treat: count and harm). */
  patrolEffectHarm: 0.3,
  buildReduction: 0.2,
  /** Incidents within buffer_m of a hotspot fall by this share from the first day of clear on. */
  diffusionBuffer: 0.2,
  displacementWindowWeeks: 12,
}

export const LATENESS = { incidents: 0.03, calls: 0.01, arrests: 0.02, meanLagDays: 3, maxLagDays: 28 }
export const CORRECTIONS = {
  outcomeUpdateShare: 0.01,
  reclassificationShare: 0.002,
  lagDays: [3, 60] as const,
}
export const PLANTED = {
  badRowRate: 0.001,
  duplicateRate: 0.0005,
  supersededRate: 0.0003,
  noLocationShare: 0.002,
  otherCallsPerIncident: 0.5,
  clearSearchesPerHotspotDay: 1.5,
}

export interface Timeline {
  startDay: number
  endDay: number
  days: number
  clearFrom: number
  holdFrom: number
  buildFrom: number | undefined
}

export function timelineOf(endDate: string, years: number): Timeline {
  const end = parseDate(endDate)
  if (end === undefined) throw new Error(`end date ${JSON.stringify(endDate)} is not a date (YYYY-MM-DD)`)
  const endDay = end - ((weekday(end) + 1) % 7) // the Sunday on or before
  const weeks = 52 * years
  const startDay = endDay - weeks * 7 + 1
  const preWeeks =
    weeks >= 78 ? weeks - 52 : Math.max(PROGRAMME.displacementWindowWeeks + 1, Math.round(weeks * 0.3))
  const clearFrom = startDay + preWeeks * 7
  const holdFrom = clearFrom + PROGRAMME.clearWeeks * 7
  const holdWeeks = weeks - preWeeks - PROGRAMME.clearWeeks
  const buildFrom =
    holdWeeks >= PROGRAMME.minHoldWeeksForBuild ? endDay - PROGRAMME.buildWeeks * 7 + 1 : undefined
  return { startDay, endDay, days: weeks * 7, clearFrom, holdFrom, buildFrom }
}

export type Phase = 'pre' | 'clear' | 'hold' | 'build'

export const movesToBuild = (hotspot: Hotspot) => hotspot.index % 3 === 2

export function phaseOn(timeline: Timeline, hotspot: Hotspot, day: number): Phase {
  if (day < timeline.clearFrom) return 'pre'
  if (day < timeline.holdFrom) return 'clear'
  if (timeline.buildFrom !== undefined && movesToBuild(hotspot) && day >= timeline.buildFrom) return 'build'
  return 'hold'
}

export function phasesOf(
  timeline: Timeline,
  hotspot: Hotspot,
): { phase: string; from: string; to?: string }[] {
  const phases: { phase: string; from: string; to?: string }[] = [
    { phase: 'clear', from: formatDay(timeline.clearFrom), to: formatDay(timeline.holdFrom - 1) },
    { phase: 'hold', from: formatDay(timeline.holdFrom) },
  ]
  if (timeline.buildFrom !== undefined && movesToBuild(hotspot)) {
    ;(phases[1] as { to?: string }).to = formatDay(timeline.buildFrom - 1)
    phases.push({ phase: 'build', from: formatDay(timeline.buildFrom) })
  }
  return phases
}
