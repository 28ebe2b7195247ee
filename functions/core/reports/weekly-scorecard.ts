/**
 * The weekly commander scorecard (DESIGN section 8, issue 4 part 1): one email per commander with only their
 * hotspots, read on a phone in a minute. The figures are gathered once from the mart rows (`gatherFigures`) and
 * rendered three ways from that one model, so the HTML, the plain-text alternative and the CSV attachment carry
 * the same numbers:
 *
 * - a summary line per hotspot (crimes and harm this week, the change flags against the same week last year and
 *   the seasonal baseline, each with its % change beside it);
 * - per hotspot a crime table (week, 28 days, financial year to date, each against last year) and a key/value
 *   table of the rest (seasonal baseline, serious violence, arrests, stop and search, tips, patrol dosage, the
 *   patrol effect, victim satisfaction), then its charts;
 * - the heat map, tips by source across the force, and how to read the figures.
 *
 * Every interpolated value goes through `escapeHtml`; the subject, the commander's name and address, content ids
 * and file names through `assertHeaderSafe`. The mart rows passed in are whole marts: they are filtered here to
 * the commander's hotspots and the period, so another commander's hotspot cannot reach the email.
 */
import { formatDay, parseDate } from '../time/days.ts'
import { chartCid } from './charts.ts'
import { safeCsv } from './csv.ts'
import { assertHeaderSafe, escapeHtml } from './html.ts'
import { compileMjml } from './mjml.ts'
import type { InlineImage, MartRow, Period, Recipient, RenderedEmail } from './model.ts'
import {
  formatHarm,
  formatNumber,
  formatOneDecimalUnder100,
  formatPercentChange,
  formatShare,
  percentOfShare,
  roundHalfAwayFromZero,
} from './numbers.ts'
import { dateParts, longDate } from './periods.ts'

export interface ScorecardHotspot {
  id: string
  name: string
  borough: string
}

/** Whole mart rows (every hotspot, every week or month of the run). */
export interface WeeklyScorecardRows {
  scorecard_weekly: MartRow[]
  patrol_dosage: MartRow[]
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

/** Below this many valid answers a satisfaction percentage is flagged as a small sample. */
export const SMALL_SAMPLE = 30

// ---------------------------------------------------------------------------------------------------------------
// The figures

/** A count set against a comparison count: the change flag with the % change beside it. */
interface Comparison {
  /** The comparison figure (last year's count, the baseline mean); null when there is no history. */
  value: number | null
  pct: number | null
  z: number | null
  /** up, down, no significant change; null when there is no history. */
  flag: string | null
}

interface CrimePeriod {
  key: 'week' | '28d' | 'fytd'
  label: string
  /** For the CSV: which days. */
  span: string
  count: number | null
  harm: number | null
  lastYear: Comparison
  harmLastYear: number | null
}

interface Baseline extends Comparison {
  sd: number | null
  harmMean: number | null
  harmSd: number | null
}

interface MonthFigures {
  /** `2026-11-01` */
  month: string
  /** "November 2026" or "1 to 15 November 2026" when the month is not over by the end of the week. */
  label: string
}

interface StopSearchMonth extends MonthFigures {
  searches: number | null
  finds: number | null
  findRate: number | null
  arrests: number | null
  arrestRate: number | null
}

interface TipsMonth extends MonthFigures {
  received: number | null
  actioned: number | null
  actionedShare: number | null
  interventions: number | null
  arrests: number | null
}

interface Dosage {
  visits: number | null
  minutes: number | null
  compliant: number | null
  assignedDays: number | null
  daysCovered: number | null
  share: number | null
}

interface PatrolEffect {
  nAssigned: number | null
  nUnassigned: number | null
  meanAssigned: number | null
  meanUnassigned: number | null
  /** Change in harm per day on patrol days, %: -100 * effect; null when the mart has no effect. */
  change: number | null
  ciLow: number | null
  ciHigh: number | null
}

interface Satisfaction extends MonthFigures {
  pct: number | null
  ciLow: number | null
  ciHigh: number | null
  n: number
}

interface HotspotFigures {
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
  effect: PatrolEffect | null
  satisfaction: Satisfaction | null
}

interface TipSource {
  source: string
  received: number | null
  actioned: number | null
  actionedShare: number | null
}

interface ScorecardFigures {
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
  const month = `${period.lastDay.slice(0, 7)}-01`
  const { d, month: name, year } = dateParts(period.lastDay)
  const lastOfMonth = dateParts(shiftDays(period.lastDay, 1)).d === 1
  const label = lastOfMonth ? `${name} ${year}` : d === 1 ? `1 ${name} ${year}` : `1 to ${d} ${name} ${year}`
  return { month, label }
}

function financialYearStart(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number]
  return `${m >= 4 ? y : y - 1}-04-01`
}

/** The commander's figures for the week, from whole mart rows. */
function gatherFigures(input: WeeklyScorecardInput): ScorecardFigures {
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
            label: monthLabel(String(sat.month)),
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

/** A tip source as people write it: `youth_worker` as "Youth worker". */
export function sourceLabel(source: string): string {
  const words = source.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function monthLabel(firstDay: string): string {
  const { month, year } = dateParts(firstDay)
  return `${month} ${year}`
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting (shared by the HTML and the text, so both show the same strings)

const NO_HISTORY = 'no history'
const NO_DATA = 'no data'

/** A figure through its formatter (numbers.ts), or 'no data' when the mart has none. */
const orNoData =
  (format: (n: number) => string) =>
  (n: number | null): string =>
    n === null ? NO_DATA : format(n)

const countText = orNoData((n) => formatNumber(n, 0))
const harmText = orNoData(formatHarm)
/** A share (0..1) as a whole percentage without sign. */
const shareText = orNoData((share) => formatShare(share))
/** A percentage (0..100) without sign. */
const percentText = orNoData((p) => `${formatNumber(p, 0)}%`)

const plural = (n: number | null, one: string, many: string) => `${countText(n)} ${n === 1 ? one : many}`

type Tone = 'bad' | 'good' | 'neutral' | 'none'

interface Flagged {
  /** The flag in words: "significant rise", "no significant change", "no history". */
  words: string
  /** Beside the flag: "(5, +40%)". */
  detail: string
  tone: Tone
}

const FLAG_WORDS: Record<string, string> = {
  up: 'significant rise',
  down: 'significant fall',
  'no significant change': 'no significant change',
}

/** The flag against last year with the comparison and the % change beside it. */
function lastYearFlag(c: Comparison, toned: boolean): Flagged {
  if (c.value === null || c.flag === null) return { words: NO_HISTORY, detail: '', tone: 'none' }
  const words = FLAG_WORDS[c.flag] ?? c.flag
  const tone: Tone = !toned ? 'neutral' : c.flag === 'up' ? 'bad' : c.flag === 'down' ? 'good' : 'neutral'
  // the % change is null when last year was 0: say so rather than show an infinite change
  const detail =
    c.pct === null
      ? `(${countText(c.value)} last year)`
      : `(${countText(c.value)}, ${formatPercentChange(c.pct)})`
  return { words, detail, tone }
}

const BASELINE_WORDS: Record<string, string> = {
  up: 'above the seasonal range',
  down: 'below the seasonal range',
  'no significant change': 'within the seasonal range',
}

function baselineFlag(b: Baseline): Flagged {
  if (b.value === null || b.flag === null)
    return { words: `seasonal range: ${NO_HISTORY}`, detail: '', tone: 'none' }
  const usual = formatOneDecimalUnder100(b.value)
  const change = b.pct === null ? '' : `, ${formatPercentChange(b.pct)}`
  const tone: Tone = b.flag === 'up' ? 'bad' : b.flag === 'down' ? 'good' : 'neutral'
  return { words: BASELINE_WORDS[b.flag] ?? b.flag, detail: `(usual ${usual}${change})`, tone }
}

/** A flag with "vs last year" between the words and the figures, or "vs last year: no history". */
const vsLastYear = (f: Flagged): Flagged =>
  f.detail ? { ...f, detail: `vs last year ${f.detail}` } : { ...f, words: `vs last year: ${NO_HISTORY}` }

const withDetail = (f: Flagged) => (f.detail ? `${f.words} ${f.detail}` : f.words)

function summaryParts(h: HotspotFigures): {
  title: string
  figures: string
  lastYear: Flagged
  baseline: Flagged
} {
  const title = `${h.hotspot.id} ${h.hotspot.name}`
  const week = h.crime[0] as CrimePeriod
  return {
    title,
    figures: h.hasWeek ? `${plural(week.count, 'crime', 'crimes')}, harm ${harmText(week.harm)} days` : '',
    lastYear: vsLastYear(lastYearFlag(week.lastYear, true)),
    baseline: baselineFlag(h.baseline),
  }
}

/** "HS-01 Market Square: 7 crimes, harm 958 days — no significant change vs last year (5, +40%), within ..." */
function summaryLine(h: HotspotFigures): string {
  const s = summaryParts(h)
  if (!h.hasWeek) return `${s.title}: no figures for this week`
  return `${s.title}: ${s.figures} \u2014 ${withDetail(s.lastYear)}, ${withDetail(s.baseline)}`
}

interface KeyValue {
  label: string
  /** The main figure, then details. Flags are kept apart so that the HTML can colour them. */
  value: string
  flag?: Flagged
  detail?: string
  note?: string
}

function activityRows(h: HotspotFigures): KeyValue[] {
  const rows: KeyValue[] = []
  const b = h.baseline
  const week = h.crime[0] as CrimePeriod
  const baseline = baselineFlag(b)
  rows.push({
    label: 'Seasonal baseline',
    value:
      b.value === null
        ? NO_HISTORY
        : `${plural(week.count, 'crime', 'crimes')} vs usual ${formatOneDecimalUnder100(b.value)}${
            b.sd === null ? '' : ` \u00b1 ${formatOneDecimalUnder100(b.sd)}`
          }`,
    ...(b.value === null
      ? {}
      : { flag: { ...baseline, detail: b.pct === null ? '' : `(${formatPercentChange(b.pct)})` } }),
    ...(b.value !== null && b.harmMean !== null
      ? {
          detail: `harm ${harmText(week.harm)} vs usual ${harmText(b.harmMean)}${
            b.harmSd === null ? '' : ` \u00b1 ${harmText(b.harmSd)}`
          } days`,
        }
      : {}),
    note: 'same week and its neighbours, last 3 years',
  })
  rows.push({
    label: 'Serious violence',
    value: plural(h.seriousViolence.count, 'crime', 'crimes'),
    detail: `harm ${harmText(h.seriousViolence.harm)} days`,
  })
  rows.push({
    label: 'Arrests',
    value: countText(h.arrests.count),
    flag: vsLastYear(lastYearFlag(h.arrests.lastYear, false)),
  })
  const ss = h.stopSearch.month
  rows.push({
    label: 'Stop and search',
    value: `${countText(h.stopSearch.week)} this week`,
    detail: ss
      ? `${ss.label}: ${plural(ss.searches, 'search', 'searches')}, ${plural(ss.finds, 'find', 'finds')} (${shareText(
          ss.findRate,
        )}), ${plural(ss.arrests, 'arrest', 'arrests')} (${shareText(ss.arrestRate)})`
      : `${h.stopSearch.week === null ? '' : 'month: '}${NO_DATA}`,
  })
  const tip = h.tips.month
  rows.push({
    label: 'Tips',
    value: `${countText(h.tips.week)} this week`,
    detail: tip
      ? `${tip.label}: ${countText(tip.received)} received, ${countText(tip.actioned)} actioned within 48 h${
          tip.actionedShare === null ? '' : ` (${shareText(tip.actionedShare)})`
        }, ${plural(tip.interventions, 'intervention', 'interventions')}, ${plural(tip.arrests, 'arrest', 'arrests')}`
      : `month: ${NO_DATA}`,
  })
  const d = h.dosage
  rows.push({
    label: 'Patrol visits',
    value: d ? plural(d.visits, 'visit', 'visits') : 'no patrols recorded',
    ...(d
      ? {
          detail: `${countText(d.minutes)} minutes, ${countText(d.compliant)} compliant (10 to 16 min)`,
        }
      : {}),
  })
  rows.push({
    label: 'Patrol days covered',
    value:
      d && (d.assignedDays ?? 0) > 0
        ? `${countText(d.daysCovered)} of ${countText(d.assignedDays)} (${shareText(d.share)})`
        : 'no days assigned',
    ...(d && (d.assignedDays ?? 0) > 0 ? { note: 'assigned days with a compliant visit' } : {}),
  })
  const effect = h.effect
  rows.push({
    label: 'Patrol effect',
    value:
      effect && effect.change !== null
        ? `harm ${formatPercentChange(effect.change)} on patrol days`
        : effect
          ? 'not enough trial days yet'
          : 'not in the trial',
    ...(effect && effect.change !== null
      ? {
          flag: effectFlag(effect),
          detail: `95% CI ${effect.ciLow === null ? '?' : formatPercentChange(effect.ciLow)} to ${effect.ciHigh === null ? '?' : formatPercentChange(effect.ciHigh)}; ${harmText(
            effect.meanAssigned,
          )} vs ${harmText(effect.meanUnassigned)} harm days per day`,
          note: `trial to date: ${countText(effect.nAssigned)} patrol days, ${countText(effect.nUnassigned)} other days`,
        }
      : {}),
  })
  const s = h.satisfaction
  rows.push({
    label: 'Victim satisfaction',
    value: s && s.pct !== null ? `${percentText(s.pct)} satisfied` : 'no survey answers yet',
    ...(s && s.pct !== null
      ? {
          detail: `95% CI ${percentText(s.ciLow)} to ${percentText(s.ciHigh)}, n = ${countText(s.n)}, ${s.label}`,
          ...(s.n < SMALL_SAMPLE
            ? { note: `small sample (under ${SMALL_SAMPLE} answers): read with care` }
            : {}),
        }
      : {}),
  })
  return rows
}

function effectFlag(e: PatrolEffect): Flagged {
  if (e.ciLow === null || e.ciHigh === null) return { words: 'no interval', detail: '', tone: 'none' }
  if (e.ciHigh < 0) return { words: 'significantly lower', detail: '', tone: 'good' }
  if (e.ciLow > 0) return { words: 'significantly higher', detail: '', tone: 'bad' }
  return { words: 'no significant difference', detail: '', tone: 'neutral' }
}

// ---------------------------------------------------------------------------------------------------------------
// Images

const HEATMAP_CID = chartCid('heatmap')

interface PlacedImages {
  byHotspot: Map<string, InlineImage[]>
  heatmap: InlineImage | undefined
  other: InlineImage[]
}

function placeImages(images: InlineImage[], hotspots: ScorecardHotspot[]): PlacedImages {
  // the content ids charts.ts gives each hotspot's charts (ids with unusual characters are escaped there)
  const owner = new Map(
    hotspots.flatMap((h) => [
      [chartCid('harm', h.id), h.id] as const,
      [chartCid('patrol', h.id), h.id] as const,
    ]),
  )
  const seen = new Set<string>()
  const placed: PlacedImages = { byHotspot: new Map(), heatmap: undefined, other: [] }
  for (const image of images) {
    assertHeaderSafe(image.cid, 'image content id')
    assertHeaderSafe(image.filename, 'image file name')
    if (seen.has(image.cid)) throw new Error(`two images with the content id ${JSON.stringify(image.cid)}`)
    seen.add(image.cid)
    const id = owner.get(image.cid)
    if (id !== undefined) placed.byHotspot.set(id, [...(placed.byHotspot.get(id) ?? []), image])
    else if (/^(harm|patrol)-.+@hotspot$/.test(image.cid)) {
      throw new Error(`image ${JSON.stringify(image.cid)} is of a hotspot that is not the commander's`)
    } else if (image.cid === HEATMAP_CID) placed.heatmap = image
    else placed.other.push(image)
  }
  for (const list of placed.byHotspot.values()) {
    // the harm chart first, then the patrol chart, whatever order they were given in
    list.sort((a, b) => Number(a.cid.startsWith('patrol-')) - Number(b.cid.startsWith('patrol-')))
  }
  return placed
}

// ---------------------------------------------------------------------------------------------------------------
// HTML (MJML)

const e = (value: string) => escapeHtml(value)

const COLOURS = {
  ink: '#101828',
  muted: '#475467',
  rule: '#eaecf0',
  page: '#eef1f5',
  navy: '#0b2545',
  accent: '#13315c',
}

const TONE_STYLE: Record<Tone, string> = {
  bad: 'background:#fde8e7;color:#a4161a;',
  good: 'background:#e3f4ea;color:#0b6b3a;',
  neutral: 'background:#eef1f5;color:#344054;',
  none: 'background:#f6f1e3;color:#6b4e00;',
}

function flagHtml(f: Flagged): string {
  const pill = `<span style="${TONE_STYLE[f.tone]}border-radius:10px;padding:1px 7px;white-space:nowrap;font-size:13px;">${e(f.words)}</span>`
  return f.detail ? `${pill} <span style="white-space:nowrap;">${e(f.detail)}</span>` : pill
}

const CELL = `padding:7px 5px;border-bottom:1px solid ${COLOURS.rule};vertical-align:top;overflow-wrap:anywhere;`
const NUMBER = `padding:7px 5px;border-bottom:1px solid ${COLOURS.rule};vertical-align:top;text-align:right;white-space:nowrap;`
const HEAD = `padding:6px 5px;border-bottom:2px solid #d0d5dd;text-align:left;font-size:12px;font-weight:bold;color:${COLOURS.muted};`

function crimeTable(h: HotspotFigures): string {
  const head = `<tr><th style="${HEAD}width:21%;">Period</th><th style="${HEAD}width:17%;text-align:right;">Crimes</th><th style="${HEAD}width:18%;text-align:right;">Harm (days)</th><th style="${HEAD}">vs last year</th></tr>`
  const body = h.crime
    .map(
      (p) =>
        `<tr><td style="${CELL}font-weight:bold;">${e(p.label)}</td><td style="${NUMBER}">${e(
          countText(p.count),
        )}</td><td style="${NUMBER}">${e(harmText(p.harm))}</td><td style="${CELL}">${flagHtml(
          lastYearFlag(p.lastYear, true),
        )}</td></tr>`,
    )
    .join('')
  return `<mj-table css-class="crime-table" padding="4px 12px" font-size="14px" line-height="1.35" color="${COLOURS.ink}">${head}${body}</mj-table>`
}

function keyValueTable(rows: KeyValue[]): string {
  const body = rows
    .map((r) => {
      const parts = [`<strong>${e(r.value)}</strong>`]
      if (r.flag) parts.push(flagHtml(r.flag))
      const lines = [parts.join(' ')]
      if (r.detail) lines.push(`<span style="color:${COLOURS.ink};">${e(r.detail)}</span>`)
      if (r.note) lines.push(`<span style="color:${COLOURS.muted};font-size:12px;">${e(r.note)}</span>`)
      return `<tr><td style="${CELL}width:34%;color:${COLOURS.muted};">${e(r.label)}</td><td style="${CELL}">${lines.join('<br>')}</td></tr>`
    })
    .join('')
  return `<mj-table padding="4px 12px 12px" font-size="14px" line-height="1.4" color="${COLOURS.ink}">${body}</mj-table>`
}

const imageMjml = (image: InlineImage) =>
  `<mj-image src="cid:${e(image.cid)}" alt="${e(image.alt)}" title="${e(image.alt)}" padding="6px 12px" fluid-on-mobile="true" />`

function scorecardMjml(
  input: WeeklyScorecardInput,
  figures: ScorecardFigures,
  subject: string,
  csvName: string,
): string {
  const { period, commander, force } = input
  const images = placeImages(input.images, input.hotspots)
  const summary = figures.hotspots
    .map((h) => {
      const s = summaryParts(h)
      const line = !h.hasWeek
        ? 'no figures for this week'
        : `${e(s.figures)} \u2014 ${flagHtml(s.lastYear)}, ${flagHtml(s.baseline)}`
      return `<mj-text padding="6px 16px" css-class="summary"><strong>${e(s.title)}</strong><br>${line}</mj-text>`
    })
    .join('\n')

  const sections = figures.hotspots
    .map((h) => {
      const where = h.hotspot.borough ? ` \u00b7 ${h.hotspot.borough}` : ''
      const charts = (images.byHotspot.get(h.hotspot.id) ?? []).map(imageMjml).join('\n')
      return `<mj-section background-color="#ffffff" padding="12px 0 8px" border-top="4px solid ${COLOURS.accent}">
  <mj-column>
    <mj-text padding="4px 16px 2px" font-size="19px" font-weight="bold" color="${COLOURS.navy}">${e(h.hotspot.id)} ${e(h.hotspot.name)}</mj-text>
    <mj-text padding="0 16px 6px" font-size="13px" color="${COLOURS.muted}">${e(`${period.label}${where}`)}</mj-text>
    ${crimeTable(h)}
    ${keyValueTable(activityRows(h))}
    ${charts}
  </mj-column>
</mj-section>
<mj-section padding="6px 0"><mj-column><mj-spacer height="4px" /></mj-column></mj-section>`
    })
    .join('\n')

  const heatmap = images.heatmap
    ? `<mj-section background-color="#ffffff" padding="12px 0 8px" border-top="4px solid ${COLOURS.accent}">
  <mj-column>
    <mj-text padding="4px 16px 2px" font-size="19px" font-weight="bold" color="${COLOURS.navy}">Harm around your hotspots</mj-text>
    <mj-text padding="0 16px 6px" font-size="13px" color="${COLOURS.muted}">Harm by 25 m cell over the 28 days to ${e(longDate(period.lastDay))}, hotspots outlined</mj-text>
    ${imageMjml(images.heatmap)}
  </mj-column>
</mj-section>`
    : ''
  const others = images.other.length
    ? `<mj-section background-color="#ffffff" padding="12px 0 8px"><mj-column>
    <mj-text padding="4px 16px 2px" font-size="19px" font-weight="bold" color="${COLOURS.navy}">More charts</mj-text>
    ${images.other.map(imageMjml).join('\n')}
  </mj-column></mj-section>`
    : ''
  const tipSources = figures.tipSources.length
    ? `<mj-section background-color="#ffffff" padding="12px 0 8px" border-top="4px solid ${COLOURS.accent}"><mj-column>
    <mj-text padding="4px 16px 2px" font-size="17px" font-weight="bold" color="${COLOURS.navy}">Tips by source, all areas</mj-text>
    <mj-text padding="0 16px 6px" font-size="13px" color="${COLOURS.muted}">${e(figures.monthLabel)}, across the force</mj-text>
    <mj-table padding="4px 12px 12px" font-size="14px" line-height="1.35" color="${COLOURS.ink}"><tr><th style="${HEAD}">Source</th><th style="${HEAD}text-align:right;">Received</th><th style="${HEAD}text-align:right;">Actioned in 48 h</th></tr>${figures.tipSources
      .map(
        (t) =>
          `<tr><td style="${CELL}">${e(sourceLabel(t.source))}</td><td style="${NUMBER}">${e(countText(t.received))}</td><td style="${NUMBER}">${e(
            `${countText(t.actioned)} (${shareText(t.actionedShare)})`,
          )}</td></tr>`,
      )
      .join('')}</mj-table>
  </mj-column></mj-section>`
    : ''

  const preview = figures.hotspots[0] ? summaryLine(figures.hotspots[0]) : period.label
  return `<mjml lang="en-GB">
<mj-head>
  <mj-title>${e(subject)}</mj-title>
  <mj-preview>${e(preview)}</mj-preview>
  <mj-breakpoint width="480px" />
  <mj-attributes>
    <mj-all font-family="Arial, Helvetica, sans-serif" />
    <mj-text font-size="15px" line-height="1.45" color="${COLOURS.ink}" />
  </mj-attributes>
  <mj-style>
    .summary strong { color: ${COLOURS.navy}; }
    @media only screen and (max-width: 480px) { .crime-table table { font-size: 13px !important; } }
  </mj-style>
</mj-head>
<mj-body width="600px" background-color="${COLOURS.page}">
  <mj-section background-color="${COLOURS.navy}" padding="18px 0 14px">
    <mj-column>
      <mj-text padding="0 16px" font-size="12px" color="#c9d6ea" letter-spacing="0.5px">${e(force.toUpperCase())} \u00b7 HOTSPOT POLICING</mj-text>
      <mj-text padding="4px 16px 0" font-size="22px" font-weight="bold" color="#ffffff" line-height="1.25">Weekly hotspot scorecard</mj-text>
      <mj-text padding="2px 16px 0" font-size="15px" color="#ffffff">${e(period.label)}</mj-text>
      <mj-text padding="2px 16px 0" font-size="13px" color="#c9d6ea">For ${e(commander.name)}</mj-text>
    </mj-column>
  </mj-section>
  <mj-section background-color="#ffffff" padding="10px 0 10px">
    <mj-column>
      <mj-text padding="4px 16px 2px" font-size="17px" font-weight="bold" color="${COLOURS.navy}">This week at a glance</mj-text>
      ${summary}
    </mj-column>
  </mj-section>
  <mj-section padding="6px 0"><mj-column><mj-spacer height="4px" /></mj-column></mj-section>
  ${sections}
  ${heatmap}
  ${others}
  ${tipSources}
  <mj-section padding="12px 0 24px">
    <mj-column>
      <mj-text padding="4px 16px" font-size="12px" line-height="1.5" color="${COLOURS.muted}">${e(
        `Figures for ${period.label} (Monday to Sunday, London time), as recorded by ${longDate(period.lastDay)}. ` +
          'Harm is the Cambridge Crime Harm Index: the sum of the days in prison each offence would draw. ' +
          'A change is flagged as significant only when the Poisson test gives |Z| of 3 or more; the % change is shown beside the flag. ' +
          'The seasonal range is the same week and its neighbours in the last 3 years. ' +
          'Patrol visits are compliant at 10 to 16 minutes. Satisfaction is the share of victims fairly, very or completely satisfied overall, with a 95% Wilson interval, in the latest month with answers: ' +
          'answers received within 72 h of sending, to the surveys sent in the month whose 72 h response window had closed. ' +
          `The same figures are attached as ${csvName}.`,
      )}</mj-text>
      <mj-text padding="4px 16px" font-size="12px" color="${COLOURS.muted}">${e(force)}</mj-text>
    </mj-column>
  </mj-section>
</mj-body>
</mjml>`
}

// ---------------------------------------------------------------------------------------------------------------
// Plain text

function scorecardText(input: WeeklyScorecardInput, figures: ScorecardFigures, csvName: string): string {
  const { period, commander, force } = input
  const images = placeImages(input.images, input.hotspots)
  const lines: string[] = [
    `Weekly hotspot scorecard: ${period.label}`,
    `${force} \u00b7 for ${commander.name}`,
    '',
    'THIS WEEK AT A GLANCE',
    ...figures.hotspots.map((h) => `- ${summaryLine(h)}`),
  ]
  for (const h of figures.hotspots) {
    const heading = `${h.hotspot.id} ${h.hotspot.name}${h.hotspot.borough ? ` (${h.hotspot.borough})` : ''}`
    lines.push('', heading, '='.repeat(Math.min(heading.length, 72)))
    lines.push('Crimes and harm (days), vs the same period last year:')
    for (const p of h.crime) {
      lines.push(
        `  ${`${p.label}:`.padEnd(12)}${plural(p.count, 'crime', 'crimes')}, harm ${harmText(p.harm)} \u2014 ${withDetail(
          lastYearFlag(p.lastYear, true),
        )}`,
      )
    }
    for (const r of activityRows(h)) {
      const flag = r.flag ? ` \u2014 ${withDetail(r.flag)}` : ''
      const detail = r.detail ? `; ${r.detail}` : ''
      const note = r.note ? ` (${r.note})` : ''
      lines.push(`${r.label}: ${r.value}${flag}${detail}${note}`)
    }
    for (const image of images.byHotspot.get(h.hotspot.id) ?? [])
      lines.push(`Chart (in the HTML version): ${image.alt}`)
  }
  if (images.heatmap) lines.push('', `Heat map (in the HTML version): ${images.heatmap.alt}`)
  for (const image of images.other) lines.push('', `Chart (in the HTML version): ${image.alt}`)
  if (figures.tipSources.length) {
    lines.push('', `TIPS BY SOURCE, ALL AREAS (${figures.monthLabel})`)
    for (const t of figures.tipSources) {
      lines.push(
        `- ${sourceLabel(t.source)}: ${countText(t.received)} received, ${countText(t.actioned)} actioned within 48 h (${shareText(t.actionedShare)})`,
      )
    }
  }
  lines.push(
    '',
    `Figures for ${period.label} (Monday to Sunday, London time), as recorded by ${longDate(period.lastDay)}.`,
    'Harm: Cambridge Crime Harm Index days. A change is significant only when the Poisson test gives |Z| of 3 or more.',
    'The seasonal range is the same week and its neighbours in the last 3 years.',
    `The same figures are attached as ${csvName}.`,
    '',
  )
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------------------------
// CSV

/** The attachment's columns, one row per hotspot per measure. Empty cells are missing values. */
export const SCORECARD_CSV_COLUMNS = [
  'hotspot_id',
  'hotspot_name',
  'measure',
  'period',
  'value',
  'compared_with',
  'comparison_value',
  'comparison_sd',
  'pct_change',
  'z',
  'flag',
  'ci_low',
  'ci_high',
  'n',
] as const

type CsvRow = Partial<Record<(typeof SCORECARD_CSV_COLUMNS)[number], string | number | null>>

const round = (n: number | null, places: number) => (n === null ? null : roundHalfAwayFromZero(n, places))

/** A share (0..1) as a percentage to one decimal. */
const sharePercent = (share: number | null) => (share === null ? null : percentOfShare(share, 1))

function csvRows(figures: ScorecardFigures): CsvRow[] {
  const out: CsvRow[] = []
  const week = figures.period.id
  for (const h of figures.hotspots) {
    const base = { hotspot_id: h.hotspot.id, hotspot_name: h.hotspot.name }
    const add = (row: CsvRow) => out.push({ ...base, ...row })
    const flagged = (c: Comparison, comparedWith: string): CsvRow => ({
      compared_with: comparedWith,
      comparison_value: c.value,
      pct_change: round(c.pct, 1),
      z: c.value === null ? null : round(c.z, 3),
      flag: c.value === null || c.flag === null ? NO_HISTORY : c.flag,
    })
    for (const p of h.crime) {
      const lastYear = p.key === 'week' ? 'same week last year' : 'same days last year (364 days before)'
      add({ measure: 'crimes', period: p.span, value: p.count, ...flagged(p.lastYear, lastYear) })
      add({
        measure: 'harm (days)',
        period: p.span,
        value: round(p.harm, 2),
        ...(p.key === 'week' ? { compared_with: lastYear, comparison_value: round(p.harmLastYear, 2) } : {}),
      })
    }
    const b = h.baseline
    add({
      measure: 'crimes',
      period: week,
      value: (h.crime[0] as CrimePeriod).count,
      ...flagged(b, 'seasonal baseline (mean of 9 weeks)'),
      comparison_value: round(b.value, 2),
      comparison_sd: round(b.sd, 2),
    })
    if (b.harmMean !== null) {
      add({
        measure: 'harm (days)',
        period: week,
        value: round((h.crime[0] as CrimePeriod).harm, 2),
        compared_with: 'seasonal baseline (mean of 9 weeks)',
        comparison_value: round(b.harmMean, 2),
        comparison_sd: round(b.harmSd, 2),
      })
    }
    add({ measure: 'serious violence crimes', period: week, value: h.seriousViolence.count })
    add({ measure: 'serious violence harm (days)', period: week, value: round(h.seriousViolence.harm, 2) })
    add({
      measure: 'arrests',
      period: week,
      value: h.arrests.count,
      ...flagged(h.arrests.lastYear, 'same week last year'),
    })
    add({ measure: 'stop and search', period: week, value: h.stopSearch.week })
    const ss = h.stopSearch.month
    if (ss) {
      const p = ss.month.slice(0, 7)
      add({ measure: 'stop and search', period: p, value: ss.searches })
      add({ measure: 'stop and search finds', period: p, value: ss.finds })
      add({ measure: 'stop and search find rate (%)', period: p, value: sharePercent(ss.findRate) })
      add({ measure: 'stop and search arrests', period: p, value: ss.arrests })
      add({ measure: 'stop and search arrest rate (%)', period: p, value: sharePercent(ss.arrestRate) })
    }
    add({ measure: 'tips', period: week, value: h.tips.week })
    const tip = h.tips.month
    if (tip) {
      const p = tip.month.slice(0, 7)
      add({ measure: 'tips received', period: p, value: tip.received })
      add({ measure: 'tips actioned within 48 h', period: p, value: tip.actioned })
      add({ measure: 'tips actioned within 48 h (%)', period: p, value: sharePercent(tip.actionedShare) })
      add({ measure: 'tips leading to an intervention', period: p, value: tip.interventions })
      add({ measure: 'tips leading to an arrest', period: p, value: tip.arrests })
    }
    const d = h.dosage
    add({ measure: 'patrol visits', period: week, value: d ? d.visits : 0 })
    add({ measure: 'patrol minutes', period: week, value: d ? round(d.minutes, 1) : 0 })
    add({ measure: 'compliant patrol visits (10 to 16 min)', period: week, value: d ? d.compliant : 0 })
    add({ measure: 'assigned patrol days', period: week, value: d ? d.assignedDays : 0 })
    add({ measure: 'assigned days with a compliant visit', period: week, value: d ? d.daysCovered : 0 })
    add({
      measure: 'assigned days with a compliant visit (%)',
      period: week,
      value: sharePercent(d?.share ?? null),
    })
    const effect = h.effect
    if (effect) {
      add({
        measure: 'harm per day on patrol days vs other days (% change)',
        period: `trial to ${figures.period.lastDay}`,
        value: round(effect.change, 1),
        compared_with: 'unassigned days (mean harm per day)',
        comparison_value: round(effect.meanUnassigned, 2),
        flag: effect.change === null ? null : effectFlag(effect).words,
        ci_low: round(effect.ciLow, 1),
        ci_high: round(effect.ciHigh, 1),
        n:
          effect.nAssigned === null || effect.nUnassigned === null
            ? null
            : effect.nAssigned + effect.nUnassigned,
      })
    }
    const s = h.satisfaction
    if (s) {
      add({
        measure: 'victims satisfied overall (%)',
        period: s.month.slice(0, 7),
        value: round(s.pct, 1),
        ci_low: round(s.ciLow, 1),
        ci_high: round(s.ciHigh, 1),
        n: s.n,
      })
    }
  }
  for (const t of figures.tipSources) {
    const p = `${figures.period.lastDay.slice(0, 7)}`
    out.push({
      hotspot_id: '',
      hotspot_name: 'all areas',
      measure: `tips received: ${t.source}`,
      period: p,
      value: t.received,
    })
    out.push({
      hotspot_id: '',
      hotspot_name: 'all areas',
      measure: `tips actioned within 48 h: ${t.source}`,
      period: p,
      value: t.actioned,
    })
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// The email

/** "Hotspot scorecard: Week 46, 9 to 15 November 2026 (Ch Insp Ada Lovelace)" */
export function scorecardSubject(period: Period, commanderName: string): string {
  const subject = `Hotspot scorecard: ${period.label.replace(': ', ', ')} (${commanderName})`
  assertHeaderSafe(subject, 'subject')
  return subject
}

/** `scorecard-<commander key>-<period id>.csv`, with anything but letters, digits, dot, dash or underscore as `_`. */
export function scorecardCsvName(commanderKey: string, periodId: string): string {
  return `scorecard-${commanderKey}-${periodId}.csv`.replace(/[^A-Za-z0-9._-]/g, '_')
}

/** The MJML source of a commander's scorecard (for tests and template work; `renderWeeklyScorecard` compiles it). */
export function weeklyScorecardMjml(input: WeeklyScorecardInput): string {
  checkInput(input)
  const subject = scorecardSubject(input.period, input.commander.name)
  return scorecardMjml(
    input,
    gatherFigures(input),
    subject,
    scorecardCsvName(input.commander.key, input.period.id),
  )
}

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

/** Renders one commander's weekly scorecard: HTML (MJML), plain text, the CSV attachment and the charts. */
export async function renderWeeklyScorecard(input: WeeklyScorecardInput): Promise<RenderedEmail> {
  checkInput(input)
  const subject = scorecardSubject(input.period, input.commander.name)
  const csvName = scorecardCsvName(input.commander.key, input.period.id)
  assertHeaderSafe(csvName, 'attachment file name')
  const figures = gatherFigures(input)
  const html = await compileMjml(scorecardMjml(input, figures, subject, csvName))
  const csv = safeCsv(csvRows(figures), [...SCORECARD_CSV_COLUMNS])
  return {
    subject,
    html,
    text: scorecardText(input, figures, csvName),
    inlineImages: input.images,
    attachments: [{ filename: csvName, contentType: 'text/csv; charset=utf-8', content: csv }],
  }
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
}

/**
 * The email's HTML with each `cid:` image replaced by a data: URI, to open in a browser without a mail client
 * (the .html preview written next to each .eml).
 */
export function htmlPreview(email: RenderedEmail): string {
  let html = email.html
  for (const image of email.inlineImages) {
    const ext = image.filename.split('.').pop()?.toLowerCase() ?? 'png'
    const uri = `data:${IMAGE_TYPES[ext] ?? 'image/png'};base64,${image.content.toString('base64')}`
    html = html.split(`src="cid:${escapeHtml(image.cid)}"`).join(`src="${uri}"`)
  }
  return html
}
