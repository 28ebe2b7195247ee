/** Harm on patrol days against other days, for one hotspot or the whole programme. */

import type { TopLevelSpec } from 'vega-lite'
import { formatHarm, formatNumber, formatShare } from '../document/format.ts'
import type { MartRow } from '../model.ts'
import { CHART } from '../palette.ts'
import {
  BASE_CONFIG,
  CHART_LAYOUT_WIDTH,
  messageSpec,
  subtitleLines,
  titleLines,
  VEGA_LITE_SCHEMA,
} from './layout.ts'
import { type ChartParts, chartCid, chartFilename, martNumber } from './parts.ts'

interface Arm {
  arm: string
  mean: number
  n: number
  low: number | null
  high: number | null
  label: string
}

function arm(name: string, mean: number | null, sd: number | null, n: number | null): Arm | null {
  if (mean === null || n === null || n < 1) return null
  const half = sd !== null && n >= 2 ? (1.96 * sd) / Math.sqrt(n) : null
  return {
    arm: name,
    mean,
    n,
    low: half === null ? null : Math.max(0, mean - half),
    high: half === null ? null : mean + half,
    label:
      half === null
        ? `${formatHarm(mean)} (${formatNumber(n)} day${n === 1 ? '' : 's'})`
        : `${formatHarm(mean)} (95% CI ${formatHarm(Math.max(0, mean - half))} to ${formatHarm(mean + half)})`,
  }
}

const pct = (x: number) => formatShare(Math.abs(x))

/**
 * The effect in words: `25% less harm on patrol days (95% CI 16% to 33%)`; `12% more harm ...`; an interval
 * across zero says both ends and that the difference is not clear.
 */
export function describeEffect(effect: number, low: number, high: number): string {
  const head = `${pct(effect)} ${effect >= 0 ? 'less' : 'more'} harm on patrol days`
  if (low >= 0) return `${head} (95% CI ${pct(low)} to ${pct(high)})`
  if (high <= 0) return `${head} (95% CI ${pct(high)} to ${pct(low)})`
  return `${head} (95% CI ${pct(low)} more to ${pct(high)} less): not a clear difference`
}

/**
 * Patrol days against other days for one scope (its patrol_effect rows; the 'harm' outcome is drawn): mean harm
 * per hotspot-day with 95% intervals (mean ± 1.96 sd / sqrt(n)), the effect and its CI in the subtitle. Without
 * an estimate (too few days, or no harm) it says so.
 */
export function patrolEffectChart(rows: MartRow[], title: string): ChartParts {
  const harm = rows.find((r) => r.outcome === 'harm')
  const scope = rows[0]?.scope
  const key = scope === undefined || scope === null ? 'all' : String(scope)
  const cid = chartCid('patrol', key)
  const filename = chartFilename('patrol', key)
  const patrol = harm
    ? arm(
        'Patrol days',
        martNumber(harm.mean_assigned),
        martNumber(harm.sd_assigned),
        martNumber(harm.n_assigned_days),
      )
    : null
  const other = harm
    ? arm(
        'Other days',
        martNumber(harm.mean_unassigned),
        martNumber(harm.sd_unassigned),
        martNumber(harm.n_unassigned_days),
      )
    : null
  const nA = martNumber(harm?.n_assigned_days) ?? 0
  const nU = martNumber(harm?.n_unassigned_days) ?? 0
  const effect = martNumber(harm?.effect)
  const low = martNumber(harm?.effect_ci_low)
  const high = martNumber(harm?.effect_ci_high)
  const estimated = effect !== null && low !== null && high !== null
  const notYet =
    nA + nU === 0
      ? 'No trial days yet: the patrol effect is shown once there are at least 2 patrol days and 2 other days.'
      : `Not enough data yet to estimate the patrol effect: it needs at least 2 patrol days and 2 other days, ` +
        `with some harm on each (so far ${formatNumber(nA)} patrol day${nA === 1 ? '' : 's'} and ${formatNumber(nU)} other day${nU === 1 ? '' : 's'}).`
  if (!patrol || !other) {
    return {
      spec: messageSpec(title, notYet),
      alt: `${title}. ${notYet}`,
      cid,
      filename,
    }
  }
  const effectWords = estimated ? describeEffect(effect, low, high) : notYet
  const armWords = (a: Arm, what: string) =>
    `${formatHarm(a.mean)} on ${formatNumber(a.n)} ${a.n === 1 ? what.replace(/s$/, '') : what}` +
    (a.low === null || a.high === null ? '' : ` (95% CI ${formatHarm(a.low)} to ${formatHarm(a.high)})`)
  const alt =
    `Bar chart for ${title}: mean harm per hotspot-day was ${armWords(patrol, 'patrol days')} and ` +
    `${armWords(other, 'other days')}. ${effectWords}${estimated ? '.' : ''}`
  const arms = [patrol, other]
  const y = {
    field: 'arm',
    type: 'nominal',
    sort: null,
    axis: {
      title: null,
      labelFontSize: 14,
      labelColor: CHART.ink,
      labelPadding: 8,
      ticks: false,
      domain: false,
    },
  }
  const maxX = Math.max(...arms.map((a) => a.high ?? a.mean))
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    config: BASE_CONFIG,
    width: CHART_LAYOUT_WIDTH,
    height: 130,
    autosize: { type: 'fit-x', contains: 'padding' },
    title: {
      text: titleLines(title),
      subtitle: [
        ...subtitleLines(`${effectWords}${estimated ? '.' : ''}`),
        'Mean harm per hotspot-day, with 95% intervals.',
      ],
    },
    data: { values: arms },
    encoding: { y },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.6 }, cornerRadiusEnd: 2 },
        encoding: {
          x: {
            field: 'mean',
            type: 'quantitative',
            // room on the right for the labels
            scale: { domain: [0, maxX * 1.6 || 1], nice: false },
            axis: { title: 'mean harm per hotspot-day (days)', format: ',d', tickCount: 5, grid: true },
          },
          color: {
            field: 'arm',
            type: 'nominal',
            scale: { domain: ['Patrol days', 'Other days'], range: [CHART.patrol, CHART.otherDays] },
            legend: null,
          },
        },
      },
      {
        transform: [{ filter: 'datum.low != null' }],
        mark: { type: 'rule', strokeWidth: 2, color: CHART.ink },
        encoding: { x: { field: 'low', type: 'quantitative' }, x2: { field: 'high' } },
      },
      {
        transform: [{ filter: 'datum.low != null' }],
        mark: { type: 'tick', orient: 'vertical', thickness: 2, size: 14, color: CHART.ink },
        encoding: { x: { field: 'low', type: 'quantitative' } },
      },
      {
        transform: [{ filter: 'datum.low != null' }],
        mark: { type: 'tick', orient: 'vertical', thickness: 2, size: 14, color: CHART.ink },
        encoding: { x: { field: 'high', type: 'quantitative' } },
      },
      {
        transform: [{ calculate: 'datum.high != null ? datum.high : datum.mean', as: 'end' }],
        mark: { type: 'text', align: 'left', baseline: 'middle', dx: 8, fontSize: 13, color: CHART.ink },
        encoding: { x: { field: 'end', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec
  return { spec, alt, cid, filename }
}
