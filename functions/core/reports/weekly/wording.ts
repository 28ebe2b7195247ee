/**
 * The weekly scorecard's figures in words: the flags, the summary line of a hotspot and its key figures. Every
 * number goes through document/format.ts; the document (weekly/document.ts) places these strings, and every
 * renderer shows them as they are.
 */

import { KOPER } from '../../contracts/dosage.ts'
import {
  formatHarm,
  formatNumber,
  formatOneDecimalUnder100,
  formatPercentChange,
  formatShare,
} from '../document/format.ts'
import type { Flag, Inline, KeyFigure, Tone } from '../document/model.ts'
import type { Baseline, Comparison, CrimePeriod, HotspotFigures, PatrolEffect, Presence } from './figures.ts'

/** Below this many valid answers a satisfaction percentage is flagged as a small sample. */
export const SMALL_SAMPLE = 30

export const NO_HISTORY = 'no history'
const NO_DATA = 'no data'

/** A figure through its formatter (document/format.ts), or 'no data' when the mart has none. */
const orNoData =
  (format: (n: number) => string) =>
  (n: number | null): string =>
    n === null ? NO_DATA : format(n)

export const countText = orNoData((n) => formatNumber(n, 0))
export const harmText = orNoData(formatHarm)
/** A share (0..1) as a whole percentage without sign. */
export const shareText = orNoData((share) => formatShare(share))
/** A percentage (0..100) without sign. */
const percentText = orNoData((p) => `${formatNumber(p, 0)}%`)

const plural = (n: number | null, one: string, many: string) => `${countText(n)} ${n === 1 ? one : many}`

const FLAG_WORDS: Record<string, string> = {
  up: 'significant rise',
  down: 'significant fall',
  'no significant change': 'no significant change',
}

/** The flag against last year with the comparison and the % change beside it. */
export function lastYearFlag(c: Comparison, toned: boolean): Flag {
  if (c.value === null || c.flag === null) return { words: NO_HISTORY, tone: 'none' }
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

function baselineFlag(b: Baseline): Flag {
  if (b.value === null || b.flag === null) return { words: `seasonal range: ${NO_HISTORY}`, tone: 'none' }
  const usual = formatOneDecimalUnder100(b.value)
  const change = b.pct === null ? '' : `, ${formatPercentChange(b.pct)}`
  const tone: Tone = b.flag === 'up' ? 'bad' : b.flag === 'down' ? 'good' : 'neutral'
  return { words: BASELINE_WORDS[b.flag] ?? b.flag, detail: `(usual ${usual}${change})`, tone }
}

/** A flag with "vs last year" between the words and the figures, or "vs last year: no history". */
const vsLastYear = (f: Flag): Flag =>
  f.detail ? { ...f, detail: `vs last year ${f.detail}` } : { ...f, words: `vs last year: ${NO_HISTORY}` }

/** A hotspot's summary: its name leading "7 crimes, harm 958 days — <vs last year>, <vs the seasonal range>". */
export function summaryItem(h: HotspotFigures): { lead: string; line: Inline[] } {
  const lead = `${h.hotspot.id} ${h.hotspot.name}`
  if (!h.hasWeek) return { lead, line: ['no figures for this week'] }
  const week = h.crime[0] as CrimePeriod
  return {
    lead,
    line: [
      `${plural(week.count, 'crime', 'crimes')}, harm ${harmText(week.harm)} days \u2014 `,
      vsLastYear(lastYearFlag(week.lastYear, true)),
      ', ',
      baselineFlag(h.baseline),
    ],
  }
}

/** The rest of a hotspot's week, a line each: baseline, serious violence, arrests, ... victim satisfaction. */
export function keyFigures(h: HotspotFigures): KeyFigure[] {
  const rows: KeyFigure[] = []
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
  if (h.presence) rows.push(presenceFigure(h.presence))
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

/**
 * "GPS presence: 84 minutes over 5 measured days; 3 of 4 assigned days reached the 10-minute target (75%)
 * (passing vehicles not counted: 2)". Only for a hotspot whose presence was measured that week.
 */
function presenceFigure(p: Presence): KeyFigure {
  const assigned = p.assignedDays ?? 0
  const atTarget =
    assigned > 0
      ? `${countText(p.assignedDaysAtTarget)} of ${plural(p.assignedDays, 'assigned day', 'assigned days')} reached the ${
          KOPER.minMinutes
        }-minute target (${shareText((p.assignedDaysAtTarget ?? 0) / assigned)})`
      : 'no assigned days measured'
  return {
    label: 'GPS presence',
    value: `${countText(p.minutes)} minutes over ${plural(p.daysMeasured, 'measured day', 'measured days')}`,
    detail: atTarget,
    ...((p.passThroughs ?? 0) > 0
      ? { note: `passing vehicles not counted: ${countText(p.passThroughs)}` }
      : {}),
  }
}

export function effectFlag(e: PatrolEffect): Flag {
  if (e.ciLow === null || e.ciHigh === null) return { words: 'no interval', tone: 'none' }
  if (e.ciHigh < 0) return { words: 'significantly lower', tone: 'good' }
  if (e.ciLow > 0) return { words: 'significantly higher', tone: 'bad' }
  return { words: 'no significant difference', tone: 'neutral' }
}

/** A tip source as people write it: `youth_worker` as "Youth worker". */
export function sourceLabel(source: string): string {
  const words = source.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}
