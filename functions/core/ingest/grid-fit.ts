import { fromWgs84 } from '../geo.ts'

/**
 * proj4's grid position (geo.ts fromWgs84) over a box of lat/lon, as two polynomials DuckDB evaluates on all its
 * threads: the columnar ingest's projection of ten million pings, where calling proj4 for each from DuckDB
 * (`grid_of`) holds every thread on the one JavaScript thread. The polynomials interpolate proj4 at Chebyshev
 * nodes (the least degree that passes) and are used only where they are checked to be within FIT_TOLERANCE_M of
 * proj4: at a lattice of points between the nodes, four times as fine. The grid is smooth enough that degree 3
 * meets it over a city (the bench's 6 km), degree 6 over three degrees of lat/lon, degree 8 over Great Britain's
 * mainland and islands (1e-8 m there, floating-point noise), and degree 10 out to Rockall, which the outline
 * holds (great-britain/README.md).
 */
export const FIT_TOLERANCE_M = 1e-7

const BOX_PADDING_DEGREES = 1e-7

/** Degrees tried, least first: each term costs DuckDB time on every row. */
const DEGREES = [2, 3, 4, 5, 6, 8, 10]

export interface GridFit {
  degree: number
  /** The box, degrees: the fit holds inside it (bounds included). */
  south: number
  north: number
  west: number
  east: number
  /** Power-basis coefficients: `easting[j][i]` multiplies x^i y^j, x and y the box's own -1..1 coordinates. */
  easting: number[][]
  northing: number[][]
}

/** The fit over a box, or undefined when none of DEGREES is within FIT_TOLERANCE_M (a box beyond the grid's reach). */
export function gridFitOver(box: {
  south: number
  north: number
  west: number
  east: number
}): GridFit | undefined {
  // a centimetre beyond the rows on every side (a box of one point still needs width), so that no row's x or y
  // rounds to just outside -1..1
  const south = box.south - BOX_PADDING_DEGREES
  const north = box.north + BOX_PADDING_DEGREES
  const west = box.west - BOX_PADDING_DEGREES
  const east = box.east + BOX_PADDING_DEGREES
  for (const degree of DEGREES) {
    const fit = interpolate({ south, north, west, east }, degree)
    if (fit && withinTolerance(fit)) return fit
  }
  return undefined
}

function interpolate(
  box: Omit<GridFit, 'degree' | 'easting' | 'northing'>,
  degree: number,
): GridFit | undefined {
  const n = degree + 1
  const nodes = Array.from({ length: n }, (_, k) => Math.cos((Math.PI * (k + 0.5)) / n))
  const values = nodes.map((x) => nodes.map((y) => fromWgs84(...latLonOf(box, x, y))))
  if (values.flat().some((v) => !Number.isFinite(v.easting) || !Number.isFinite(v.northing))) return undefined
  // Chebyshev coefficients by the nodes' discrete orthogonality
  const chebyshev = (value: (v: { easting: number; northing: number }) => number) =>
    Array.from({ length: n }, (_, j) =>
      Array.from({ length: n }, (_, i) => {
        let sum = 0
        for (let k = 0; k < n; k++) {
          for (let l = 0; l < n; l++) {
            const at = values[k]?.[l] as { easting: number; northing: number }
            sum += value(at) * chebyshevT(i, nodes[k] as number) * chebyshevT(j, nodes[l] as number)
          }
        }
        return (sum * (i === 0 ? 1 : 2) * (j === 0 ? 1 : 2)) / (n * n)
      }),
    )
  return {
    ...box,
    degree,
    easting: toPowers(chebyshev((v) => v.easting)),
    northing: toPowers(chebyshev((v) => v.northing)),
  }
}

function chebyshevT(k: number, x: number): number {
  return Math.cos(k * Math.acos(x))
}

/** Chebyshev coefficients [j][i] of T_i(x) T_j(y) as power coefficients [j][i] of x^i y^j. */
function toPowers(coefficients: number[][]): number[][] {
  const n = coefficients.length
  // powers[k][p]: the coefficient of x^p in T_k(x)
  const powers: number[][] = [[1], [0, 1]]
  for (let k = 2; k < n; k++) {
    const previous = powers[k - 1] as number[]
    const before = powers[k - 2] as number[]
    powers.push(Array.from({ length: k + 1 }, (_, p) => 2 * (previous[p - 1] ?? 0) - (before[p] ?? 0)))
  }
  const result = Array.from({ length: n }, () => new Array<number>(n).fill(0))
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const c = coefficients[j]?.[i] as number
      ;(powers[i] as number[]).forEach((px, p) => {
        ;(powers[j] as number[]).forEach((py, q) => {
          const row = result[q] as number[]
          row[p] = (row[p] as number) + c * px * py
        })
      })
    }
  }
  return result
}

function latLonOf(
  box: Omit<GridFit, 'degree' | 'easting' | 'northing'>,
  x: number,
  y: number,
): [number, number] {
  return [
    (box.south + box.north) / 2 + ((box.north - box.south) * x) / 2,
    (box.west + box.east) / 2 + ((box.east - box.west) * y) / 2,
  ]
}

/** The fit's easting and northing at a point, evaluated as fitSql evaluates them (Horner's rule, x then y). */
export function fitAt(fit: GridFit, lat: number, lon: number): { easting: number; northing: number } {
  const x = (2 * lat - (fit.south + fit.north)) / (fit.north - fit.south)
  const y = (2 * lon - (fit.west + fit.east)) / (fit.east - fit.west)
  const horner = (coefficients: number[], at: number) => coefficients.reduceRight((sum, c) => sum * at + c, 0)
  const value = (rows: number[][]) =>
    horner(
      rows.map((row) => horner(row, x)),
      y,
    )
  return { easting: value(fit.easting), northing: value(fit.northing) }
}

function withinTolerance(fit: GridFit): boolean {
  const steps = 4 * (fit.degree + 1)
  for (let a = 0; a <= steps; a++) {
    for (let b = 0; b <= steps; b++) {
      const x = -1 + (2 * a) / steps
      const y = -1 + (2 * b) / steps
      const [lat, lon] = latLonOf(fit, x, y)
      const exact = fromWgs84(lat, lon)
      const fitted = fitAt(fit, lat, lon)
      if (
        !(Math.abs(fitted.easting - exact.easting) <= FIT_TOLERANCE_M) ||
        !(Math.abs(fitted.northing - exact.northing) <= FIT_TOLERANCE_M)
      ) {
        return false
      }
    }
  }
  return true
}

/**
 * SQL of the fit: `x` and `y`, the box's coordinates (-1 to 1 inside it) of a row's lat and lon (column
 * expressions), and the easting and northing at x and y (given as columns, each named many times).
 */
export function fitSql(
  fit: GridFit,
  lat: string,
  lon: string,
): {
  x: string
  y: string
  easting: (x: string, y: string) => string
  northing: (x: string, y: string) => string
} {
  const number = (v: number) => `cast('${String(v)}' as double)`
  const horner = (terms: string[], at: string) =>
    terms.reduceRight((sum, term) => (sum === '' ? term : `(${sum} * ${at} + ${term})`), '')
  const value = (rows: number[][], x: string, y: string) =>
    horner(
      rows.map((row) => horner(row.map(number), x)),
      y,
    )
  return {
    x: `((2 * ${lat} - ${number(fit.south + fit.north)}) / ${number(fit.north - fit.south)})`,
    y: `((2 * ${lon} - ${number(fit.west + fit.east)}) / ${number(fit.east - fit.west)})`,
    easting: (x, y) => value(fit.easting, x, y),
    northing: (x, y) => value(fit.northing, x, y),
  }
}
