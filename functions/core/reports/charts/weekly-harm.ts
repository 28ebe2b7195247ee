/** Weekly harm of one hotspot against its seasonal baseline band: the first chart of each hotspot in the scorecard. */

import type { TopLevelSpec } from 'vega-lite'
import { formatHarm, formatNumber } from '../document/format.ts'
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `2026-11-09` -> `9 Nov 2026` (or `9 Nov` without the year). */
function formatDate(day: string, withYear = true): string {
  const [y, m, d] = day.split('-').map(Number)
  const text = `${d} ${MONTHS[(m ?? 1) - 1]}`
  return withYear ? `${text} ${y}` : text
}

interface HarmWeek {
  /** week_start at 00:00 UTC, ms (plotted on a UTC time scale: no host time zone involved) */
  t: number
  week_start: string
  week_end: string
  harm: number
  crimes: number | null
  mean: number | null
  low: number | null
  high: number | null
}

function harmWeeks(rows: MartRow[]): HarmWeek[] {
  return rows
    .map((row): HarmWeek => {
      const weekStart = String(row.week_start)
      const mean = martNumber(row.baseline_harm_mean)
      const sd = martNumber(row.baseline_harm_sd)
      const band = mean !== null && sd !== null
      return {
        t: Date.parse(`${weekStart}T00:00:00Z`),
        week_start: weekStart,
        week_end: String(row.week_end ?? weekStart),
        harm: martNumber(row.harm) ?? 0,
        crimes: martNumber(row.crime_count),
        mean: band ? mean : null,
        low: band ? Math.max(0, mean - 2 * sd) : null,
        high: band ? mean + 2 * sd : null,
      }
    })
    .sort((a, b) => a.t - b.t)
}

type BandPosition = 'above' | 'within' | 'below' | 'none'

function bandPosition(week: HarmWeek): BandPosition {
  if (week.low === null || week.high === null) return 'none'
  if (week.harm > week.high) return 'above'
  if (week.harm < week.low) return 'below'
  return 'within'
}

function bandWords(week: HarmWeek): string {
  const position = bandPosition(week)
  if (position === 'none' || week.low === null || week.high === null || week.mean === null)
    return 'no seasonal baseline for that week (it needs 3 years of history)'
  const range = `${formatHarm(week.low)} to ${formatHarm(week.high)}`
  const where =
    position === 'above'
      ? 'above the usual range'
      : position === 'below'
        ? 'below the usual range'
        : 'within the usual range'
  return `${where} for the time of year (seasonal baseline ${range}, mean ${formatHarm(week.mean)})`
}

/**
 * Weekly harm of one hotspot (its scorecard_weekly rows, oldest first or not: they are sorted) as a line, over the
 * seasonal baseline band (baseline_harm_mean ± 2 × baseline_harm_sd, floored at 0) where the row has one.
 */
export function weeklyHarmChart(rows: MartRow[], hotspotName: string): ChartParts {
  const weeks = harmWeeks(rows)
  const key = rows[0]?.hotspot_id
  const cid = chartCid('harm', key === undefined || key === null ? hotspotName : String(key))
  const filename = chartFilename('harm', key === undefined || key === null ? hotspotName : String(key))
  const title = `${hotspotName}: weekly harm`
  const latest = weeks.at(-1)
  const first = weeks[0]
  if (!latest || !first) {
    return {
      spec: messageSpec(
        title,
        'No complete week of the programme yet: the chart starts after its first week.',
      ),
      alt: `Weekly harm at ${hotspotName}: no complete week to show yet.`,
      cid,
      filename,
    }
  }
  const latestWords = `${formatHarm(latest.harm)} harm days`
  const status = bandPosition(latest)
  const statusShort =
    status === 'none'
      ? 'no seasonal baseline yet'
      : status === 'within'
        ? 'within the usual range'
        : `${status} the usual range`
  const harms = weeks.map((w) => w.harm)
  const alt =
    `Line chart of weekly harm (crime harm index days) at ${hotspotName}, ${weeks.length} week${weeks.length === 1 ? '' : 's'} ` +
    `from ${formatDate(first.week_start)} to ${formatDate(latest.week_end)}, ranging from ` +
    `${formatHarm(Math.min(...harms))} to ${formatHarm(Math.max(...harms))}. ` +
    `Latest week (${formatDate(latest.week_start, false)} to ${formatDate(latest.week_end)}): ${latestWords}` +
    `${latest.crimes === null ? '' : ` from ${formatNumber(latest.crimes)} crime${latest.crimes === 1 ? '' : 's'}`}, ` +
    `${bandWords(latest)}.`
  const hasBand = weeks.some((w) => w.low !== null)
  // below the point when the line comes down to it (unless it is at 0), else above
  const previous = weeks.at(-2)
  const labelBelow = previous !== undefined && previous.harm > latest.harm && latest.harm > 0
  const topOfChart = Math.max(1, ...weeks.map((w) => Math.max(w.harm, w.high ?? 0)))
  const legendDomain = hasBand
    ? ['Harm per week', 'Usual range (seasonal mean ± 2 SD)', 'Seasonal mean']
    : ['Harm per week']
  const legendRange = hasBand ? [CHART.harm, CHART.usualRange, CHART.baseline] : [CHART.harm]
  // one legend for the layers (each layer names its colour)
  const colour = (datum: string) => ({
    datum,
    type: 'nominal',
    scale: { domain: legendDomain, range: legendRange },
    legend: {
      orient: 'top',
      title: null,
      direction: 'horizontal',
      symbolType: 'square',
      symbolOpacity: 1,
      symbolStrokeWidth: 0,
      labelLimit: 400,
    },
  })
  const x = {
    field: 't',
    type: 'temporal',
    scale: { type: 'utc' },
    axis: {
      title: 'week starting',
      format: '%-d %b',
      labelAngle: 0,
      tickCount: { interval: 'month', step: 1 },
      grid: false,
    },
  }
  const layers: unknown[] = []
  if (hasBand) {
    layers.push(
      {
        mark: { type: 'area', opacity: 0.45, invalid: 'break-paths-filter-domains', interpolate: 'monotone' },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative' },
          y2: { field: 'high' },
          color: colour('Usual range (seasonal mean ± 2 SD)'),
        },
      },
      {
        mark: {
          type: 'line',
          strokeDash: [5, 4],
          strokeWidth: 1.5,
          invalid: 'break-paths-filter-domains',
          interpolate: 'monotone',
        },
        encoding: { x, y: { field: 'mean', type: 'quantitative' }, color: colour('Seasonal mean') },
      },
    )
  }
  layers.push(
    {
      mark: { type: 'line', strokeWidth: 2.5, point: { size: 30, filled: true } },
      encoding: {
        x,
        y: {
          field: 'harm',
          type: 'quantitative',
          axis: { title: 'harm (days)', format: ',d', tickCount: 5 },
          // headroom above the highest point for the latest week's label
          scale: { zero: true, nice: true, domainMax: topOfChart * 1.12 },
        },
        color: colour('Harm per week'),
      },
    },
    {
      transform: [{ filter: `datum.t === ${latest.t}` }],
      mark: {
        type: 'point',
        filled: true,
        size: 120,
        color: CHART.harm,
        stroke: CHART.background,
        strokeWidth: 1.5,
      },
      encoding: { x, y: { field: 'harm', type: 'quantitative' } },
    },
    // the latest week's value beside its point, on the side the line does not come from, with a white halo
    ...[true, false].map((halo) => ({
      transform: [{ filter: `datum.t === ${latest.t}` }],
      mark: {
        type: 'text',
        align: 'right',
        baseline: labelBelow ? 'top' : 'bottom',
        dx: -7,
        dy: labelBelow ? 7 : -7,
        fontSize: 14,
        fontWeight: 'bold',
        color: halo ? CHART.background : CHART.harm,
        ...(halo ? { stroke: CHART.background, strokeWidth: 4, strokeJoin: 'round' } : {}),
      },
      encoding: { x, y: { field: 'harm', type: 'quantitative' }, text: { value: formatHarm(latest.harm) } },
    })),
  )
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    config: BASE_CONFIG,
    width: CHART_LAYOUT_WIDTH,
    height: 220,
    autosize: { type: 'fit-x', contains: 'padding' },
    title: {
      text: titleLines(title),
      subtitle: subtitleLines(
        `Latest week ${formatDate(latest.week_start, false)} to ${formatDate(latest.week_end)}: ${latestWords}, ${statusShort}.`,
      ),
    },
    data: { values: weeks },
    layer: layers,
  } as TopLevelSpec
  return { spec, alt, cid, filename }
}
