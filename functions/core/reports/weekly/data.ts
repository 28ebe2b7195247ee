/**
 * The weekly scorecard's figures as data, for the CSV attachment: one row per hotspot per measure, rounded as
 * shown but as numbers (a spreadsheet reads -7.1 as a number), with the comparison, its flag and its interval
 * beside each figure. Empty cells are missing values.
 */

import { KOPER } from '../../contracts/dosage.ts'
import { percentOfShare, roundHalfAwayFromZero } from '../document/format.ts'
import type { DataTable } from '../document/model.ts'
import type { Comparison, CrimePeriod, ScorecardFigures } from './figures.ts'
import { effectFlag, NO_HISTORY } from './wording.ts'

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

export function scorecardData(figures: ScorecardFigures): DataTable {
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
    const presence = h.presence
    if (presence) {
      const atTarget = `assigned days at the ${KOPER.minMinutes}-minute presence target`
      add({ measure: 'GPS presence minutes', period: week, value: round(presence.minutes, 1) })
      add({ measure: 'days with GPS presence measured', period: week, value: presence.daysMeasured })
      add({ measure: 'assigned days with GPS presence measured', period: week, value: presence.assignedDays })
      add({ measure: atTarget, period: week, value: presence.assignedDaysAtTarget })
      add({
        measure: `${atTarget} (%)`,
        period: week,
        value: sharePercent(
          presence.assignedDays && presence.assignedDaysAtTarget !== null
            ? presence.assignedDaysAtTarget / presence.assignedDays
            : null,
        ),
      })
      add({
        measure: 'vehicles passing through (not counted as presence)',
        period: week,
        value: presence.passThroughs,
      })
    }
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
  return { columns: SCORECARD_CSV_COLUMNS, rows: out }
}
