/** Harm by 25 m square around a commander's hotspots, one map per hotspot. */

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
  wrap,
} from './layout.ts'
import { type ChartParts, chartCid, chartFilename, martNumber } from './parts.ts'

const CELL_M = 25
const MARGIN_CELLS = 6

interface HotspotMap {
  id: string
  name: string
  minX: number
  minY: number
  widthCells: number
  heightCells: number
  cells: { x: number; y: number; harm: number; crimes: number; inHotspot: boolean }[]
  /** the outline: cell edges between an own cell and a cell that is not, in cell units from (minX, minY) */
  edges: { x: number; y: number; x2: number; y2: number }[]
  insideHarm: number
  insideCrimes: number
  aroundHarm: number
  aroundCrimes: number
}

function hotspotMaps(cells: MartRow[], names: Record<string, string>): HotspotMap[] {
  const byHotspot = new Map<string, MartRow[]>()
  for (const row of cells) {
    const id = String(row.hotspot_id)
    byHotspot.set(id, [...(byHotspot.get(id) ?? []), row])
  }
  // the commander's order (the names' order), then any other hotspot by id
  const ids = [
    ...Object.keys(names).filter((id) => byHotspot.has(id)),
    ...[...byHotspot.keys()].filter((id) => !(id in names)).sort(),
  ]
  return ids.map((id) => {
    const rows = (byHotspot.get(id) ?? []).map((r) => ({
      x: Number(r.cell_x),
      y: Number(r.cell_y),
      harm: martNumber(r.harm) ?? 0,
      crimes: martNumber(r.crime_count) ?? 0,
      inHotspot: r.in_hotspot === true,
    }))
    const own = rows.filter((c) => c.inHotspot)
    // the mart's map is the own cells' bounding box and 6 cells around it (every own cell has a row)
    const frame = own.length > 0 ? own : rows
    const minX = Math.min(...frame.map((c) => c.x)) - MARGIN_CELLS
    const maxX = Math.max(...frame.map((c) => c.x)) + MARGIN_CELLS
    const minY = Math.min(...frame.map((c) => c.y)) - MARGIN_CELLS
    const maxY = Math.max(...frame.map((c) => c.y)) + MARGIN_CELLS
    const inFrame = rows.filter((c) => c.x >= minX && c.x <= maxX && c.y >= minY && c.y <= maxY)
    const edges = outline(own.map((c) => ({ x: c.x - minX, y: c.y - minY })))
    const sum = (list: typeof rows, f: (c: (typeof rows)[number]) => number) =>
      list.reduce((s, c) => s + f(c), 0)
    const around = inFrame.filter((c) => !c.inHotspot)
    return {
      id,
      name: names[id] ?? id,
      minX,
      minY,
      widthCells: maxX - minX + 1,
      heightCells: maxY - minY + 1,
      cells: inFrame,
      edges,
      insideHarm: sum(own, (c) => c.harm),
      insideCrimes: sum(own, (c) => c.crimes),
      aroundHarm: sum(around, (c) => c.harm),
      aroundCrimes: sum(around, (c) => c.crimes),
    }
  })
}

/**
 * The boundary of a set of unit cells: every cell side with no cell of the set across it, joined into straight
 * runs (so the outline has no joints to show at cell corners).
 */
export function outline(
  cells: { x: number; y: number }[],
): { x: number; y: number; x2: number; y2: number }[] {
  const set = new Set(cells.map((c) => `${c.x},${c.y}`))
  const has = (x: number, y: number) => set.has(`${x},${y}`)
  // horizontal sides by the y of the line, vertical sides by the x of the line: unit steps to join
  const horizontal = new Map<number, number[]>()
  const vertical = new Map<number, number[]>()
  const add = (map: Map<number, number[]>, line: number, at: number) =>
    map.set(line, [...(map.get(line) ?? []), at])
  for (const { x, y } of cells) {
    if (!has(x, y - 1)) add(horizontal, y, x)
    if (!has(x, y + 1)) add(horizontal, y + 1, x)
    if (!has(x - 1, y)) add(vertical, x, y)
    if (!has(x + 1, y)) add(vertical, x + 1, y)
  }
  const runs = (steps: number[]): [number, number][] => {
    const sorted = [...new Set(steps)].sort((a, b) => a - b)
    const out: [number, number][] = []
    for (const step of sorted) {
      const last = out.at(-1)
      if (last && last[1] === step) last[1] = step + 1
      else out.push([step, step + 1])
    }
    return out
  }
  const edges: { x: number; y: number; x2: number; y2: number }[] = []
  for (const [y, xs] of [...horizontal].sort((a, b) => a[0] - b[0]))
    for (const [from, to] of runs(xs)) edges.push({ x: from, y, x2: to, y2: y })
  for (const [x, ys] of [...vertical].sort((a, b) => a[0] - b[0]))
    for (const [from, to] of runs(ys)) edges.push({ x, y: from, x2: x, y2: to })
  return edges
}

function mapAlt(maps: HotspotMap[]): string {
  const parts = maps.map((m) => {
    const top = [...m.cells].sort((a, b) => b.harm - a.harm || a.x - b.x || a.y - b.y)[0]
    const topWords =
      top && top.harm > 0
        ? `; the most harmful square had ${formatHarm(top.harm)} days (${top.inHotspot ? 'inside' : 'outside'} the hotspot)`
        : ''
    return (
      `${m.name}: ${formatHarm(m.insideHarm)} harm days from ${formatNumber(m.insideCrimes)} ` +
      `crime${m.insideCrimes === 1 ? '' : 's'} inside the hotspot and ${formatHarm(m.aroundHarm)} days from ` +
      `${formatNumber(m.aroundCrimes)} within 150 m around it${topWords}`
    )
  })
  return (
    `Heat map of harm (crime harm index days) in 25 m squares over the last 28 days around ` +
    `${maps.length === 1 ? 'the hotspot' : `${maps.length} hotspots`}, each outlined. ${parts.join('. ')}.`
  )
}

/**
 * Heat map of harm by 25 m cell (hotspot_heatmap rows of a commander's hotspots): one map per hotspot, at one
 * shared square size and colour scale, north up, the hotspot's own cells outlined, each map titled with the
 * hotspot's name. Maps are drawn side by side rather than on one canvas: a commander's hotspots can be
 * kilometres apart, where 25 m squares would vanish.
 */
export function heatmapChart(cells: MartRow[], hotspotNames: Record<string, string>): ChartParts {
  const maps = hotspotMaps(cells, hotspotNames)
  const cid = chartCid('heatmap')
  const filename = chartFilename('heatmap')
  const title = 'Harm by 25 m square, last 28 days'
  if (maps.length === 0) {
    return {
      spec: messageSpec(title, 'No hotspot to map.'),
      alt: `${title}: no hotspot to map.`,
      cid,
      filename,
    }
  }
  const columns = maps.length === 1 ? 1 : maps.length <= 4 ? 2 : 3
  const spacing = 28
  const available = CHART_LAYOUT_WIDTH - 2 * BASE_CONFIG.padding - (columns - 1) * spacing
  const widest = Math.max(...maps.map((m) => m.widthCells))
  const tallest = Math.max(...maps.map((m) => m.heightCells))
  // one square size for every panel (the maps share a scale), no map taller than about 400 px
  const cellPx = Math.max(
    4,
    Math.min(Math.floor(available / columns / widest), Math.floor(400 / tallest), 22),
  )
  const maxHarm = Math.max(1, ...maps.flatMap((m) => m.cells.map((c) => c.harm)))
  // a panel's title may be as wide as its column (the widest map in it): wider would push the next column right
  const titleWidth = (index: number) =>
    Math.max(...maps.filter((_, i) => i % columns === index % columns).map((m) => m.widthCells * cellPx))
  const panels = maps.map((m, index) => {
    const xScale = { domain: [0, m.widthCells * CELL_M], nice: false, zero: false }
    const yScale = { domain: [0, m.heightCells * CELL_M], nice: false, zero: false }
    const metres = (v: number) => v * CELL_M
    const harmCells = m.cells
      .filter((c) => c.harm > 0)
      .map((c) => ({
        x: metres(c.x - m.minX),
        x2: metres(c.x - m.minX + 1),
        y: metres(c.y - m.minY),
        y2: metres(c.y - m.minY + 1),
        harm: c.harm,
      }))
    return {
      width: m.widthCells * cellPx,
      height: m.heightCells * cellPx,
      title: {
        text: wrap(m.name, 15, true, titleWidth(index)),
        subtitle: wrap(
          `inside: ${formatHarm(m.insideHarm)} harm days, ${formatNumber(m.insideCrimes)} crime${m.insideCrimes === 1 ? '' : 's'}`,
          13,
          false,
          titleWidth(index),
        ),
        fontSize: 15,
        subtitleFontSize: 13,
        anchor: 'start',
        offset: 8,
      },
      layer: [
        {
          // the whole map: no harm
          data: { values: [{ x: 0, x2: metres(m.widthCells), y: 0, y2: metres(m.heightCells) }] },
          mark: { type: 'rect', color: CHART.emptyCell, stroke: CHART.emptyCellBorder, strokeWidth: 1 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: xScale, axis: null },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: yScale, axis: null },
            y2: { field: 'y2' },
          },
        },
        {
          data: { values: harmCells },
          mark: { type: 'rect', stroke: CHART.background, strokeWidth: 0.5 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: xScale, axis: null },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: yScale, axis: null },
            y2: { field: 'y2' },
            color: {
              field: 'harm',
              type: 'quantitative',
              scale: { type: 'sqrt', domain: [0, maxHarm], scheme: CHART.harmScheme },
              legend: {
                title: 'harm per square (days)',
                orient: 'bottom',
                direction: 'horizontal',
                gradientLength: 260,
                format: ',d',
                titleLimit: 400,
              },
            },
          },
        },
        {
          data: {
            values: m.edges.map((e) => ({
              x: metres(e.x),
              x2: metres(e.x2),
              y: metres(e.y),
              y2: metres(e.y2),
            })),
          },
          mark: { type: 'rule', color: CHART.hotspotOutline, strokeWidth: 2.5, strokeCap: 'square' },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: xScale, axis: null },
            x2: { field: 'x2' },
            y: { field: 'y', type: 'quantitative', scale: yScale, axis: null },
            y2: { field: 'y2' },
          },
        },
      ],
    }
  })
  const spec = {
    $schema: VEGA_LITE_SCHEMA,
    config: { ...BASE_CONFIG, concat: { spacing } },
    title: {
      text: titleLines(title),
      subtitle: subtitleLines(
        'Black outline: the hotspot. Map 150\u00a0m around it; north is up; each square is 25\u00a0m.',
      ),
    },
    columns,
    concat: panels,
    resolve: { scale: { color: 'shared', x: 'independent', y: 'independent' } },
  } as TopLevelSpec
  return { spec, alt: mapAlt(maps), cid, filename }
}
