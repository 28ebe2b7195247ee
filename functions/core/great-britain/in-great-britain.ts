import outline from './outline.json' with { type: 'json' }

/**
 * How far outside the outline a point may lie and still be in Great Britain. The outline is Natural Earth's
 * 1:10m coast (README.md), which cuts piers and headlands and leaves out small islands. Measured against it:
 * every located row of the City of London's police.uk files is inside; the farthest of the 35,672 ONS 2021
 * population-weighted LSOA centroids is 2.1 km outside (Southend), Southend pier head 2.8 km; inhabited islands
 * that 1:10m lacks lie up to 12.1 km from it (Eigg; Out Skerries 9.7 km, Muck 9.3 km). The nearest land that is
 * not Great Britain is 22 km away (Torr Head, Northern Ireland; then Rathlin 27 km, the Isle of Man 29 km,
 * Cap Gris-Nez 33 km), so 15 km keeps every inhabited island and still refuses all of them.
 */
export const GREAT_BRITAIN_TOLERANCE_M = 15_000

/**
 * True when the grid position is inside Great Britain's outline (England, Scotland, Wales and their islands:
 * not Northern Ireland, the Isle of Man or the Channel Islands) or within GREAT_BRITAIN_TOLERANCE_M of it.
 * Ingest asks this once a row, so the answer comes from a raster of 2 km cells built on first use: a cell is
 * wholly in, wholly out, or (a band about the tolerance's edge, at sea) decided by distance to the coast's edges.
 */
export function inGreatBritain(easting: number, northing: number): boolean {
  cellMap ??= buildCellMap(outline.rings)
  const map = cellMap
  const column = Math.floor((easting - map.west) / CELL_M)
  const row = Math.floor((northing - map.south) / CELL_M)
  if (column < 0 || row < 0 || column >= map.columns || row >= map.rows) return false
  const state = map.cells[row * map.columns + column]
  if (state === IN) return true
  if (state === OUT) return false
  return withinToleranceOfCoast(map, easting, northing)
}

/**
 * True when inGreatBritain is true for every point of the box (grid metres, bounds included): every raster cell
 * the box touches is wholly in. False says only that the box cannot be settled at once (some of it may still be in).
 */
export function wholeBoxInGreatBritain(west: number, south: number, east: number, north: number): boolean {
  if (![west, south, east, north].every(Number.isFinite)) return false
  cellMap ??= buildCellMap(outline.rings)
  const map = cellMap
  const first = Math.floor((west - map.west) / CELL_M)
  const last = Math.floor((east - map.west) / CELL_M)
  const low = Math.floor((south - map.south) / CELL_M)
  const high = Math.floor((north - map.south) / CELL_M)
  if (first < 0 || low < 0 || last >= map.columns || high >= map.rows) return false
  for (let row = low; row <= high; row++) {
    for (let column = first; column <= last; column++) {
      if (map.cells[row * map.columns + column] !== IN) return false
    }
  }
  return true
}

const CELL_M = 2_000
/** Edges are also filed in buckets this size, for the distance test in the band cells. */
const BUCKET_M = 16_000
const OUT = 0
const IN = 1
const BAND = 2

interface CellMap {
  west: number
  south: number
  columns: number
  rows: number
  cells: Uint8Array
  rings: number[][]
  bucketColumns: number
  /** Per bucket: [ring, index of the edge's first easting] pairs, flattened. */
  buckets: number[][]
}

let cellMap: CellMap | undefined

/*
 * A cell holding a piece of coast is in (its points are within a cell diagonal of the coast, far less than the
 * tolerance); so is a cell whose centre is inside the outline, since no edge crosses it. The rest are at sea.
 * A sea point's distance to the coast differs from its cell centre's distance to the nearest coast cell's centre
 * by at most 2r, r being half a cell diagonal (once for the point in its cell, once for the coast in its cell):
 * so a sea cell within T - 2r of a coast cell's centre is in, one beyond T + 2r of all of them is out, and only
 * the band between needs the exact distance.
 */
function buildCellMap(rings: number[][]): CellMap {
  let west = Number.POSITIVE_INFINITY
  let south = Number.POSITIVE_INFINITY
  let east = Number.NEGATIVE_INFINITY
  let north = Number.NEGATIVE_INFINITY
  for (const ring of rings) {
    for (let i = 0; i < ring.length; i += 2) {
      west = Math.min(west, ring[i] as number)
      east = Math.max(east, ring[i] as number)
      south = Math.min(south, ring[i + 1] as number)
      north = Math.max(north, ring[i + 1] as number)
    }
  }
  const margin = GREAT_BRITAIN_TOLERANCE_M + 2 * CELL_M
  west = Math.floor((west - margin) / CELL_M) * CELL_M
  south = Math.floor((south - margin) / CELL_M) * CELL_M
  const columns = Math.ceil((east + margin - west) / CELL_M)
  const rows = Math.ceil((north + margin - south) / CELL_M)
  const cells = new Uint8Array(columns * rows)

  // inside the outline: even-odd crossings of each row's centre line, filled between pairs
  const crossingsByRow: number[][] = Array.from({ length: rows }, () => [])
  forEachEdge(rings, (x1, y1, x2, y2) => {
    const low = Math.ceil((Math.min(y1, y2) - south) / CELL_M - 0.5)
    const high = Math.floor((Math.max(y1, y2) - south) / CELL_M - 0.5)
    for (let row = Math.max(low, 0); row <= Math.min(high, rows - 1); row++) {
      const y = south + (row + 0.5) * CELL_M
      // half-open in y, so that a vertex on the centre line is counted once
      if (y1 > y !== y2 > y) (crossingsByRow[row] as number[]).push(x1 + ((y - y1) * (x2 - x1)) / (y2 - y1))
    }
  })
  crossingsByRow.forEach((crossings, row) => {
    crossings.sort((a, b) => a - b)
    for (let i = 0; i + 1 < crossings.length; i += 2) {
      const first = Math.ceil(((crossings[i] as number) - west) / CELL_M - 0.5)
      const last = Math.floor(((crossings[i + 1] as number) - west) / CELL_M - 0.5)
      cells.fill(IN, row * columns + first, row * columns + last + 1)
    }
  })

  // cells that hold coast: each edge sampled every quarter cell (a cell it only clips at a corner may be missed;
  // that cell lies next to coast cells, so it is in all the same)
  const coast = new Uint8Array(columns * rows)
  forEachEdge(rings, (x1, y1, x2, y2) => {
    const steps = Math.max(1, Math.ceil(Math.hypot(x2 - x1, y2 - y1) / (CELL_M / 4)))
    for (let s = 0; s <= steps; s++) {
      const column = Math.floor((x1 + ((x2 - x1) * s) / steps - west) / CELL_M)
      const row = Math.floor((y1 + ((y2 - y1) * s) / steps - south) / CELL_M)
      coast[row * columns + column] = 1
    }
  })

  const slack = Math.SQRT2 * CELL_M
  const near = offsetsWithin((GREAT_BRITAIN_TOLERANCE_M - slack) / CELL_M, columns)
  const reach = offsetsWithin((GREAT_BRITAIN_TOLERANCE_M + slack) / CELL_M, columns)
  const nearCoast = new Uint8Array(columns * rows)
  for (let cell = 0; cell < coast.length; cell++) {
    if (!coast[cell]) continue
    cells[cell] = IN
    for (const offset of reach) if (nearCoast[cell + offset] !== IN) nearCoast[cell + offset] = BAND
    for (const offset of near) nearCoast[cell + offset] = IN
  }
  for (let i = 0; i < cells.length; i++) if (cells[i] === OUT) cells[i] = nearCoast[i] as number

  const bucketColumns = Math.ceil((columns * CELL_M) / BUCKET_M)
  const buckets: number[][] = Array.from(
    { length: bucketColumns * Math.ceil((rows * CELL_M) / BUCKET_M) },
    () => [],
  )
  forEachEdge(rings, (x1, y1, x2, y2, ring, i) => {
    for (let by = bucketOf(Math.min(y1, y2) - south); by <= bucketOf(Math.max(y1, y2) - south); by++) {
      for (let bx = bucketOf(Math.min(x1, x2) - west); bx <= bucketOf(Math.max(x1, x2) - west); bx++) {
        ;(buckets[by * bucketColumns + bx] as number[]).push(ring, i)
      }
    }
  })
  return { west, south, columns, rows, cells, rings, bucketColumns, buckets }
}

function withinToleranceOfCoast(map: CellMap, easting: number, northing: number): boolean {
  const reach = GREAT_BRITAIN_TOLERANCE_M
  const limit = reach * reach
  const bucketRows = map.buckets.length / map.bucketColumns
  for (let by = bucketOf(northing - reach - map.south); by <= bucketOf(northing + reach - map.south); by++) {
    for (let bx = bucketOf(easting - reach - map.west); bx <= bucketOf(easting + reach - map.west); bx++) {
      if (by < 0 || bx < 0 || by >= bucketRows || bx >= map.bucketColumns) continue
      const edges = map.buckets[by * map.bucketColumns + bx] as number[]
      for (let k = 0; k < edges.length; k += 2) {
        const ring = map.rings[edges[k] as number] as number[]
        const i = edges[k + 1] as number
        const x1 = ring[i] as number
        const y1 = ring[i + 1] as number
        if (
          squaredDistanceToSegment(easting, northing, x1, y1, ring[i + 2] as number, ring[i + 3] as number) <=
          limit
        ) {
          return true
        }
      }
    }
  }
  return false
}

function squaredDistanceToSegment(
  px: number,
  py: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): number {
  const dx = x2 - x1
  const dy = y2 - y1
  const length = dx * dx + dy * dy
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / length))
  const ex = px - x1 - t * dx
  const ey = py - y1 - t * dy
  return ex * ex + ey * ey
}

/** Visits every edge: its two ends, its ring's index and the index of its first easting in the ring. */
function forEachEdge(
  rings: number[][],
  visit: (x1: number, y1: number, x2: number, y2: number, ring: number, i: number) => void,
): void {
  rings.forEach((ring, r) => {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      visit(ring[i] as number, ring[i + 1] as number, ring[i + 2] as number, ring[i + 3] as number, r, i)
    }
  })
}

/** Index offsets, in a grid this many columns wide, of the cells whose centres lie within radius cells. */
function offsetsWithin(radius: number, columns: number): Int32Array {
  const offsets: number[] = []
  const span = Math.floor(radius)
  for (let dy = -span; dy <= span; dy++) {
    for (let dx = -span; dx <= span; dx++)
      if (dx * dx + dy * dy <= radius * radius) offsets.push(dy * columns + dx)
  }
  return Int32Array.from(offsets)
}

function bucketOf(metres: number): number {
  return Math.floor(metres / BUCKET_M)
}
