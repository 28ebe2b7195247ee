/**
 * Rasterising polygons onto the British National Grid cells that SQL joins events to (DESIGN section 3): an
 * event at (easting, northing) is in cell (floor(easting / 25), floor(northing / 25)), and an area owns the cells
 * whose centre it contains. Everything here is in BNG metres.
 */

export const CELL_SIZE_M = 25

export type GridPoint = readonly [easting: number, northing: number]
/** A closed ring of points (the first repeated as the last). */
export type GridRing = readonly GridPoint[]
/** A polygon: its exterior ring first, then its holes. */
export type GridPolygon = readonly GridRing[]

export interface Cell {
  x: number
  y: number
}

const centre = (index: number) => (index + 0.5) * CELL_SIZE_M
/** Smallest cell index whose centre is at or beyond `coordinate`. */
const firstCentreFrom = (coordinate: number) => Math.ceil(coordinate / CELL_SIZE_M - 0.5)
/** Largest cell index whose centre is at or before `coordinate`. */
const lastCentreUpTo = (coordinate: number) => Math.floor(coordinate / CELL_SIZE_M - 0.5)

/** A set of cells, iterated row by row (northing, then easting) so that output is deterministic. */
export class CellSet {
  private readonly rows = new Map<number, Set<number>>()
  size = 0

  add(x: number, y: number): void {
    let row = this.rows.get(y)
    if (!row) {
      row = new Set()
      this.rows.set(y, row)
    }
    if (!row.has(x)) {
      row.add(x)
      this.size++
    }
  }

  delete(x: number, y: number): void {
    if (this.rows.get(y)?.delete(x)) this.size--
  }

  has(x: number, y: number): boolean {
    return this.rows.get(y)?.has(x) ?? false
  }

  *[Symbol.iterator](): IterableIterator<Cell> {
    for (const y of [...this.rows.keys()].sort((a, b) => a - b)) {
      for (const x of [...(this.rows.get(y) as Set<number>)].sort((a, b) => a - b)) yield { x, y }
    }
  }
}

/**
 * Cells whose centre lies inside any of the polygons. Within a polygon the even-odd rule applies across all its
 * rings, so centres in a hole are outside; a centre exactly on an edge is decided by the half-open crossing rule,
 * so two polygons sharing an edge never both claim a cell.
 */
export function cellsInside(polygons: readonly GridPolygon[]): CellSet {
  const cells = new CellSet()
  for (const polygon of polygons) {
    let south = Number.POSITIVE_INFINITY
    let north = Number.NEGATIVE_INFINITY
    for (const [, northing] of polygon[0] ?? []) {
      south = Math.min(south, northing)
      north = Math.max(north, northing)
    }
    const lastRow = lastCentreUpTo(north)
    for (let y = firstCentreFrom(south); y <= lastRow; y++) {
      const crossings = rowCrossings(polygon, centre(y))
      for (let i = 0; i + 1 < crossings.length; i += 2) {
        const lastX = firstCentreFrom(crossings[i + 1] as number) - 1
        for (let x = firstCentreFrom(crossings[i] as number); x <= lastX; x++) cells.add(x, y)
      }
    }
  }
  return cells
}

/** Eastings, in order, where the horizontal line at `northing` crosses the polygon's edges. */
function rowCrossings(polygon: GridPolygon, northing: number): number[] {
  const crossings: number[] = []
  for (const ring of polygon) {
    for (let i = 1; i < ring.length; i++) {
      const [ax, ay] = ring[i - 1] as GridPoint
      const [bx, by] = ring[i] as GridPoint
      if (ay > northing !== by > northing) crossings.push(ax + ((northing - ay) * (bx - ax)) / (by - ay))
    }
  }
  return crossings.sort((a, b) => a - b)
}

/** Cells whose centre lies within `distance` metres of an edge of any ring (on either side of it). */
export function cellsNearEdges(polygons: readonly GridPolygon[], distance: number): CellSet {
  const cells = new CellSet()
  const limit = distance * distance
  for (const ring of polygons.flat()) {
    for (let i = 1; i < ring.length; i++) {
      const a = ring[i - 1] as GridPoint
      const b = ring[i] as GridPoint
      const lastX = lastCentreUpTo(Math.max(a[0], b[0]) + distance)
      const lastY = lastCentreUpTo(Math.max(a[1], b[1]) + distance)
      for (let y = firstCentreFrom(Math.min(a[1], b[1]) - distance); y <= lastY; y++) {
        for (let x = firstCentreFrom(Math.min(a[0], b[0]) - distance); x <= lastX; x++) {
          if (!cells.has(x, y) && squaredDistanceToSegment(centre(x), centre(y), a, b) <= limit)
            cells.add(x, y)
        }
      }
    }
  }
  return cells
}

function squaredDistanceToSegment(px: number, py: number, [ax, ay]: GridPoint, [bx, by]: GridPoint): number {
  const dx = bx - ax
  const dy = by - ay
  const lengthSquared = dx * dx + dy * dy
  const along =
    lengthSquared === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / lengthSquared))
  const ex = ax + along * dx - px
  const ey = ay + along * dy - py
  return ex * ex + ey * ey
}
