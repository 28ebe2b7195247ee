/**
 * The weekly commander scorecard's figures (DESIGN section 8): one commander's hotspots for one week, gathered
 * once from whole mart rows. The rows are filtered here to the commander's hotspots and the period, so another
 * commander's hotspot cannot reach the email; weekly/document.ts says these figures in words and tables.
 */
import { formatDay, parseDate } from '../../time/days.ts'
import { formatMonth, formatMonthTo } from '../document/format.ts'
import { assertHeaderSafe } from '../mail-headers.ts'
import type { InlineImage, MartRow, Period, Recipient } from '../model.ts'

export interface ScorecardHotspot {
  id: string
  name: string
  borough: string
}

/** Whole mart rows (every hotspot, every week or month of the run). */
export interface WeeklyScorecardRows {
  scorecard_weekly: MartRow[]
  patrol_dosage: MartRow[]
  presence_weekly: MartRow[]
  patrol_effect: MartRow[]
  arrests_weekly: MartRow[]
  victim_satisfaction_monthly: MartRow[]
  tips_monthly: MartRow[]
  stop_search_monthly: MartRow[]
}

export interface WeeklyScorecardInput {
  commander: Recipient
  /** A weekly period. */
  period: Period
  /** The force's name, shown in the heading and the footer. */
  force: string
  /** The commander's hotspots, in the order to show them. */
  hotspots: ScorecardHotspot[]
  rows: WeeklyScorecardRows
  /**
   * Charts: `harm-<id>@hotspot` and `patrol-<id>@hotspot` per hotspot, `heatmap@hotspot`; any other cid is shown
   * after the heat map. A chart of a hotspot that is not the commander's is refused.
   */
  images: InlineImage[]
}

/** A count set against a comparison count: the change flag with the % change beside it. */
export interface Comparison {
  /** The comparison figure (last year's count, the baseline mean); null when there is no history. */
  value: number | null
  pct: number | null
  z: number | null
  /** up, down, no significant change; null when there is no history. */
  flag: string | null
}

export interface CrimePeriod {
  key: 'week' | '28d' | 'fytd'
  label: string
  /** For the CSV: which days. */
  span: string
  count: number | null
  harm: number | null
  lastYear: Comparison
  harmLastYear: number | null
}

export interface Baseline extends Comparison {
  sd: number | null
  harmMean: number | null
  harmSd: number | null
}

export interface MonthFigures {
  /** `2026-11-01` */
  month: string
  /** "November 2026" or "1 to 15 November 2026" when the month is not over by the end of the week. */
  label: string
}

export interface StopSearchMonth extends MonthFigures {
  searches: number | null
  finds: number | null
  findRate: number | null
  arrests: number | null
  arrestRate: number | null
}

export interface TipsMonth extends MonthFigures {
  received: number | null
  actioned: number | null
  actionedShare: number | null
  interventions: number | null
  arrests: number | null
}

export interface Dosage {
  visits: number | null
  minutes: number | null
  compliant: number | null
  assignedDays: number | null
  daysCovered: number | null
  share: number | null
}

/** Patrol presence measured from GPS pings over the week's measured days (presence_weekly). */
export interface Presence {
  daysMeasured: number | null
  minutes: number | null
  assignedDays: number | null
  assignedDaysAtTarget: number | null
  passThroughs: number | null
}

export interface PatrolEffect {
  nAssigned: number | null
  nUnassigned: number | null
  meanAssigned: number | null
  meanUnassigned: number | null
  /** Change in harm per day on patrol days, %: -100 * effect; null when the mart has no effect. */
  change: number | null
  ciLow: number | null
  ciHigh: number | null
}

export interface Satisfaction extends MonthFigures {
  pct: number | null
  ciLow: number | null
  ciHigh: number | null
  n: number
}

export interface HotspotFigures {
  hotspot: ScorecardHotspot
  /** False when the scorecard has no row for the hotspot and week. */
  hasWeek: boolean
  crime: CrimePeriod[]
  baseline: Baseline
  seriousViolence: { count: number | null; harm: number | null }
  arrests: { count: number | null; lastYear: Comparison }
  stopSearch: { week: number | null; month: StopSearchMonth | null }
  tips: { week: number | null; month: TipsMonth | null }
  dosage: Dosage | null
  /** Null when no presence was measured from GPS pings at the hotspot that week, or the force sent none. */
  presence: Presence | null
  effect: PatrolEffect | null
  satisfaction: Satisfaction | null
}

export interface TipSource {
  source: string
  received: number | null
  actioned: number | null
  actionedShare: number | null
}

export interface ScorecardFigures {
  period: Period
  hotspots: HotspotFigures[]
  monthLabel: string
  tipSources: TipSource[]
}

const num = (value: MartRow[string] | undefined): number | null => {
  if (value === null || value === undefined || typeof value === 'boolean') return null
  const n = typeof value === 'number' ? value : Number(value)
  return Number.isFinite(n) ? n : null
}

const text = (value: MartRow[string] | undefined): string | null =>
  value === null || value === undefined ? null : String(value)

const pctChange = (current: number | null, before: number | null): number | null =>
  current === null || before === null || before === 0 ? null : (100 * (current - before)) / before

const shiftDays = (day: string, days: number) => formatDay((parseDate(day) as number) + days)

function monthOf(period: Period): MonthFigures {
  return { month: `${period.lastDay.slice(0, 7)}-01`, label: formatMonthTo(period.lastDay) }
}

function financialYearStart(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number]
  return `${m >= 4 ? y : y - 1}-04-01`
}

/** The commander's figures for the week, from whole mart rows. */
export function gatherFigures(input: WeeklyScorecardInput): ScorecardFigures {
  checkInput(input)
  const { period, hotspots, rows } = input
  const ids = new Set(hotspots.map((h) => h.id))
  const mine = (id: MartRow[string] | undefined) => typeof id === 'string' && ids.has(id)
  const month = monthOf(period)
  const d28From = shiftDays(period.lastDay, -27)
  const fyFrom = financialYearStart(period.lastDay)

  const scorecard = rows.scorecard_weekly.filter(
    (r) => mine(r.hotspot_id) && r.week_start === period.firstDay,
  )
  const dosage = rows.patrol_dosage.filter((r) => mine(r.hotspot_id) && r.week_start === period.firstDay)
  // presence_weekly has a row only for a week with days whose pings were sent: a force without pings has none
  const presence = rows.presence_weekly.filter((r) => mine(r.hotspot_id) && r.week_start === period.firstDay)
  const arrests = rows.arrests_weekly.filter((r) => mine(r.hotspot_id) && r.week_start === period.firstDay)
  const effect = rows.patrol_effect.filter((r) => mine(r.scope) && r.outcome === 'harm')
  const hotspotGroup = (r: MartRow) => r.group_type === 'hotspot' && mine(r.group_value)
  const stopSearch = rows.stop_search_monthly.filter((r) => hotspotGroup(r) && r.month === month.month)
  const tips = rows.tips_monthly.filter((r) => hotspotGroup(r) && r.month === month.month)
  const satisfaction = rows.victim_satisfaction_monthly.filter(
    (r) =>
      hotspotGroup(r) &&
      r.question === 'q_overall' &&
      typeof r.month === 'string' &&
      r.month <= period.lastDay &&
      (num(r.n_valid) ?? 0) > 0,
  )

  const figures = hotspots.map((hotspot): HotspotFigures => {
    const week = scorecard.find((r) => r.hotspot_id === hotspot.id)
    const w = (column: string) => num(week?.[column])
    const comparison = (
      count: number | null,
      before: number | null,
      z: string,
      flag: string,
    ): Comparison => ({
      value: before,
      pct: before === null ? null : pctChange(count, before),
      z: w(z),
      flag: before === null ? null : text(week?.[flag]),
    })
    const crime: CrimePeriod[] = [
      {
        key: 'week',
        label: 'Week',
        span: period.id,
        count: w('crime_count'),
        harm: w('harm'),
        lastYear: {
          value: w('count_last_year'),
          pct: w('count_last_year') === null ? null : w('pct_change_last_year'),
          z: w('z_last_year'),
          flag: w('count_last_year') === null ? null : text(week?.flag),
        },
        harmLastYear: w('harm_last_year'),
      },
      {
        key: '28d',
        label: '28 days',
        span: `${d28From} to ${period.lastDay}`,
        count: w('count_28d'),
        harm: w('harm_28d'),
        lastYear: comparison(w('count_28d'), w('count_28d_last_year'), 'z_28d', 'flag_28d'),
        harmLastYear: null,
      },
      {
        key: 'fytd',
        label: 'FY to date',
        span: `${fyFrom} to ${period.lastDay}`,
        count: w('count_fytd'),
        harm: w('harm_fytd'),
        lastYear: comparison(w('count_fytd'), w('count_fytd_last_year'), 'z_fytd', 'flag_fytd'),
        harmLastYear: null,
      },
    ]
    const mean = w('baseline_mean')
    const baseline: Baseline = {
      value: mean,
      sd: mean === null ? null : w('baseline_sd'),
      pct: pctChange(w('crime_count'), mean),
      z: w('z_baseline'),
      flag: mean === null ? null : text(week?.flag_baseline),
      harmMean: w('baseline_harm_mean'),
      harmSd: w('baseline_harm_sd'),
    }

    const arrestRow = arrests.find((r) => r.hotspot_id === hotspot.id)
    const arrestsLastYear = num(arrestRow?.arrests_last_year)
    const ss = stopSearch.find((r) => r.group_value === hotspot.id)
    const tip = tips.find((r) => r.group_value === hotspot.id)
    const dose = dosage.find((r) => r.hotspot_id === hotspot.id)
    const present = presence.find((r) => r.hotspot_id === hotspot.id)
    const eff = effect.find((r) => r.scope === hotspot.id)
    const sat = satisfaction
      .filter((r) => r.group_value === hotspot.id)
      .sort((a, b) => String(b.month).localeCompare(String(a.month)))[0]
    const effectValue = num(eff?.effect)

    return {
      hotspot,
      hasWeek: week !== undefined,
      crime,
      baseline,
      seriousViolence: { count: w('serious_violence_count'), harm: w('serious_violence_harm') },
      arrests: {
        count: arrestRow ? num(arrestRow.arrests) : w('arrests'),
        lastYear: {
          value: arrestsLastYear,
          pct: arrestsLastYear === null ? null : num(arrestRow?.pct_change_last_year),
          z: num(arrestRow?.z_last_year),
          flag: arrestsLastYear === null ? null : text(arrestRow?.flag),
        },
      },
      stopSearch: {
        week: w('stop_searches'),
        month: ss
          ? {
              ...month,
              searches: num(ss.searches),
              finds: num(ss.finds),
              findRate: num(ss.find_rate),
              arrests: num(ss.arrests),
              arrestRate: num(ss.arrest_rate),
            }
          : null,
      },
      tips: {
        week: w('tips'),
        month: tip
          ? {
              ...month,
              received: num(tip.received),
              actioned: num(tip.actioned_within_48h),
              actionedShare: num(tip.share_actioned_within_48h),
              interventions: num(tip.interventions),
              arrests: num(tip.arrests),
            }
          : null,
      },
      dosage: dose
        ? {
            visits: num(dose.visits),
            minutes: num(dose.minutes),
            compliant: num(dose.compliant_visits),
            assignedDays: num(dose.assigned_days),
            daysCovered: num(dose.assigned_days_with_compliant_visit),
            share: num(dose.share_assigned_days_compliant),
          }
        : null,
      presence: present
        ? {
            daysMeasured: num(present.days_measured),
            minutes: num(present.presence_minutes),
            assignedDays: num(present.assigned_days),
            assignedDaysAtTarget: num(present.assigned_days_at_target),
            passThroughs: num(present.pass_throughs),
          }
        : null,
      effect: eff
        ? {
            nAssigned: num(eff.n_assigned_days),
            nUnassigned: num(eff.n_unassigned_days),
            meanAssigned: num(eff.mean_assigned),
            meanUnassigned: num(eff.mean_unassigned),
            change: effectValue === null ? null : -100 * effectValue,
            // the effect's CI bounds swap sign: a larger reduction is a lower change
            ciLow: num(eff.effect_ci_high) === null ? null : -100 * (num(eff.effect_ci_high) as number),
            ciHigh: num(eff.effect_ci_low) === null ? null : -100 * (num(eff.effect_ci_low) as number),
          }
        : null,
      satisfaction: sat
        ? {
            month: String(sat.month),
            label: formatMonth(String(sat.month)),
            pct: num(sat.pct_satisfied),
            ciLow: num(sat.ci_low),
            ciHigh: num(sat.ci_high),
            n: num(sat.n_valid) ?? 0,
          }
        : null,
    }
  })

  const tipSources = rows.tips_monthly
    .filter((r) => r.group_type === 'source_type' && r.month === month.month)
    .map((r) => ({
      source: String(r.group_value ?? 'not stated'),
      received: num(r.received),
      actioned: num(r.actioned_within_48h),
      actionedShare: num(r.share_actioned_within_48h),
    }))
    .sort((a, b) => (b.received ?? 0) - (a.received ?? 0) || a.source.localeCompare(b.source))

  return { period, hotspots: figures, monthLabel: month.label, tipSources }
}

/** Refuses a period that is not a week, and a hotspot that is not the commander's (or is listed twice). */
function checkInput(input: WeeklyScorecardInput): void {
  const { commander, period, hotspots } = input
  if (period.report !== 'weekly')
    throw new Error(`the weekly scorecard needs a weekly period, not ${period.id}`)
  assertHeaderSafe(commander.name, 'commander name')
  assertHeaderSafe(commander.email, 'commander address')
  assertHeaderSafe(commander.key, 'commander key')
  const allowed = new Set(commander.hotspotIds)
  const seen = new Set<string>()
  for (const h of hotspots) {
    if (!allowed.has(h.id))
      throw new Error(`hotspot ${JSON.stringify(h.id)} is not one of ${commander.key}'s hotspots`)
    if (seen.has(h.id)) throw new Error(`hotspot ${JSON.stringify(h.id)} is listed twice`)
    seen.add(h.id)
  }
}
