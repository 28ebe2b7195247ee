import type { FeedName } from '../contracts/feeds.ts'
import type { QuarantineCode } from '../ingest/scan.ts'
import { formatDay } from '../time/days.ts'
import {
  AGE_BANDS,
  ANNUAL,
  CRIME_MIX,
  ETHNICITY_GROUPS,
  POLICE_INITIATED,
  plantedDisproportionality,
  QUESTION_SHIFT,
  RESIDENT_SHARES,
  RESIDENTS_PER_BOROUGH,
  SATISFACTION_AGE_SHIFT,
  SATISFACTION_BY_ETHNICITY,
  STOP_SEARCH,
  SUBCATEGORIES,
  SURVEY,
  TIPS,
  VISITS,
  WEAPONS,
  WEEKLY,
} from './catalogue.ts'
import { AREA, type Area, CELL_M, CELLS, CITY_PARAMETERS, type City, round } from './city.ts'
import type { PingsTruth } from './pings.ts'
import {
  GENERATOR_VERSION,
  LATENESS,
  PLANTED,
  PROGRAMME,
  phasesOf,
  type SCALES,
  type Scale,
  type Timeline,
} from './programme.ts'

/** truth.json: what the generator planted, for tests and for checking the pipeline's results against. */

export interface FeedCounts {
  files: number
  rows: number
  records: number
  bad_rows: number
  duplicate_rows: number
  superseded_rows: number
  late_rows: number
  correction_rows: number
  update_rows: number
}

export interface BadRowTruth {
  feed: FeedName
  drop_date: string
  line: number
  kind: string
  code: QuarantineCode
  column: string | null
  reason: string
}

export interface DuplicateTruth {
  feed: FeedName
  drop_date: string
  key: string
  /** The lines of the identical rows (the ingest counts all but one as duplicates). */
  lines: number[]
}

export interface SupersededTruth {
  feed: FeedName
  drop_date: string
  key: string
  /** The earlier row, quarantined as superseded. */
  line: number
  /** The later row with the same key, which wins. */
  kept_line: number
}

export interface CorrectionTruth {
  incident_id: string
  first_drop_date: string
  correction_drop_date: string
  field: 'crime_type' | 'outcome'
  from: string
  to: string
}

export interface TruthInput {
  scale: Scale
  years: number
  seed: number
  params: (typeof SCALES)[Scale]
  timeline: Timeline
  city: City
  trialId: string
  allocationDays: { assigned: number; unassigned: number }
  counts: Record<FeedName, FeedCounts>
  lateLags: Record<'incidents' | 'calls' | 'arrests', Record<number, number>>
  badRows: BadRowTruth[]
  duplicates: DuplicateTruth[]
  superseded: SupersededTruth[]
  corrections: CorrectionTruth[]
  pings: PingsTruth
}

/** truth.json: every planted parameter, the programme, the counts and the planted faults (see its fields). */
export function buildTruth(input: TruthInput) {
  const { scale, years, seed, params, timeline, city, trialId, allocationDays, counts, lateLags } = input
  const { badRows, duplicates, superseded, corrections } = input
  return {
    generator: 'hotspot generate',
    generator_version: GENERATOR_VERSION,
    seed,
    scale,
    years,
    dates: {
      start: formatDay(timeline.startDay),
      end: formatDay(timeline.endDay),
      days: timeline.days,
      timezone: 'Europe/London',
      drop_date_rule:
        'a drop holds the records whose own time (reported_at, received_at, ...) falls on its local day, plus late records and corrections; surveys arrive when answered or closed (72 h after sending); allocations only on trial days',
    },
    area: {
      crs: 'EPSG:27700',
      min_easting: AREA.minEasting,
      max_easting: AREA.maxEasting,
      min_northing: AREA.minNorthing,
      max_northing: AREA.maxNorthing,
      cell_m: CELL_M,
      cells: CELLS,
    },
    volumes: {
      incidents_per_day: params.incidentsPerDay,
      other_calls_per_incident: PLANTED.otherCallsPerIncident,
      stop_searches_per_incident: STOP_SEARCH.perIncident,
      tips_per_day: params.tipsPerDay,
      weekly: WEEKLY,
      annual: ANNUAL,
    },
    programme: {
      trial_id: trialId,
      clear_from: formatDay(timeline.clearFrom),
      hold_from: formatDay(timeline.holdFrom),
      build_from: timeline.buildFrom === undefined ? null : formatDay(timeline.buildFrom),
      assigned_share: PROGRAMME.assignedShare,
      displacement_window_weeks: PROGRAMME.displacementWindowWeeks,
      allocation_days: allocationDays,
    },
    effects: {
      patrol_effect_harm: PROGRAMME.patrolEffectHarm,
      patrol_effect_count: PROGRAMME.patrolEffectHarm,
      patrol_effect_log_ratio: round(Math.log(1 - PROGRAMME.patrolEffectHarm), 6),
      patrol_effect_basis:
        'intention to treat: on a hotspot-day assigned a patrol in hold, incidents occurring in the hotspot (occurred_at local date) are thinned by this share, whether or not a visit happened',
      clear_reduction: PROGRAMME.clearReduction,
      hold_reduction: PROGRAMME.holdReduction,
      build_reduction: PROGRAMME.buildReduction,
      diffusion_buffer: PROGRAMME.diffusionBuffer,
      diffusion_basis:
        'incidents within buffer_m of a hotspot (outside it) fall by this share from clear_from on',
      control_change: 0,
    },
    hotspots: city.hotspots.map((h) => ({
      hotspot_id: h.id,
      name: h.name,
      borough: h.borough,
      commander_id: h.commanderId,
      buffer_m: CITY_PARAMETERS.bufferM,
      phases: phasesOf(timeline, h),
      bng: h.rect,
      expected_incidents_per_day_before: round(h.expectedPerDay, 4),
      expected_harm_per_day_before: round(h.expectedHarmPerDay, 3),
    })),
    controls: city.controls.map((c: Area) => ({
      hotspot_id: c.id,
      name: c.name,
      borough: c.borough,
      bng: c.rect,
      expected_incidents_per_day: round(c.expectedPerDay, 4),
    })),
    concentration: {
      cell_m: CELL_M,
      cells: CELLS,
      town_centres: CITY_PARAMETERS.townCentres,
      background_sigma: CITY_PARAMETERS.backgroundSigma,
      micro_hot_sites: CITY_PARAMETERS.microHotSites,
      micro_hot_share: CITY_PARAMETERS.microHotShare,
      expected_top1_share_harm: city.concentration.expectedTop1ShareHarm,
      expected_top5_share_harm: city.concentration.expectedTop5ShareHarm,
      expected_top1_share_count: city.concentration.expectedTop1ShareCount,
      hotspot_share_harm: city.concentration.hotspotShareHarm,
      hotspot_share_count: city.concentration.hotspotShareCount,
      harm_rule: 'default weights by crime_type; anti-social behaviour and police_initiated carry no harm',
    },
    crime: {
      mix: CRIME_MIX,
      police_initiated: POLICE_INITIATED,
      subcategories: SUBCATEGORIES,
      weapons: WEAPONS,
      no_location_share: PLANTED.noLocationShare,
    },
    satisfaction: {
      satisfied: 'answers 1-3',
      q_overall_by_ethnicity: SATISFACTION_BY_ETHNICITY,
      age_band_shift: SATISFACTION_AGE_SHIFT,
      question_shift: QUESTION_SHIFT,
      sent_share: SURVEY.sentShare,
      response_rate: SURVEY.responseRate,
      send_delay_hours: SURVEY.sendDelayHours,
      unanswered_rate: SURVEY.unansweredRate,
      ethnicity_shares: ETHNICITY_GROUPS,
      age_band_shares: AGE_BANDS,
      personal_data_columns: ['phone_number'],
    },
    stop_search: {
      officer_defined_ethnicity: STOP_SEARCH.officerEthnicity,
      find_rate: STOP_SEARCH.findRate,
      per_assigned_hotspot_day: STOP_SEARCH.perAssignedHotspotDay,
      residents_per_borough: RESIDENTS_PER_BOROUGH,
      resident_shares: RESIDENT_SHARES,
      disproportionality: plantedDisproportionality(),
    },
    visits: VISITS,
    patrol_pings: input.pings,
    tips: TIPS,
    lateness: LATENESS,
    late_rows_by_lag_days: lateLags,
    counts,
    bad_rows: badRows,
    duplicates,
    superseded,
    corrections,
  }
}

/** The content of truth.json. */
export type Truth = ReturnType<typeof buildTruth>
