import { DuckDBInstance } from '@duckdb/node-api'
import { describe, expect, it } from 'vitest'
import { fromWgs84 } from '../../functions/core/geo.ts'
import { FIT_TOLERANCE_M, fitAt, fitSql, gridFitOver } from '../../functions/core/ingest/grid-fit.ts'
import { loadPoints } from './helpers/points-table.ts'

/** Deterministic points in a box. */
function pointsIn(box: { south: number; north: number; west: number; east: number }, count: number) {
  let seed = 7
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
  return Array.from({ length: count }, () => [
    box.south + next() * (box.north - box.south),
    box.west + next() * (box.east - box.west),
  ]) as [number, number][]
}

const CITY = { south: 51.49, north: 51.55, west: -0.17, east: -0.08 }
const BRITAIN = { south: 49.8, north: 61, west: -8.7, east: 2 }

describe('the grid fit', () => {
  it('is within its tolerance of proj4 anywhere in its box, at the least degree that is', () => {
    for (const [box, most] of [
      [CITY, 3],
      [BRITAIN, 10],
    ] as const) {
      const fit = gridFitOver(box)
      expect(fit?.degree).toBeLessThanOrEqual(most)
      const worst = Math.max(
        ...pointsIn(box, 20_000).map(([lat, lon]) => {
          const exact = fromWgs84(lat, lon)
          const fitted = fitAt(fit as NonNullable<typeof fit>, lat, lon)
          return Math.max(
            Math.abs(fitted.easting - exact.easting),
            Math.abs(fitted.northing - exact.northing),
          )
        }),
      )
      expect(worst).toBeLessThanOrEqual(FIT_TOLERANCE_M)
    }
    // a city's box does not need the whole country's degree
    expect(gridFitOver(CITY)?.degree).toBeLessThan(gridFitOver(BRITAIN)?.degree as number)
  })

  it('has no fit for a box no polynomial of its degrees follows', () => {
    expect(gridFitOver({ south: -80, north: 80, west: -170, east: 170 })).toBeUndefined()
  })

  it('is evaluated by DuckDB as it was checked (fitAt)', async () => {
    const fit = gridFitOver(BRITAIN)
    if (!fit) throw new Error('no fit over Great Britain')
    const points = pointsIn(BRITAIN, 5_000)
    const instance = await DuckDBInstance.create(':memory:')
    const db = await instance.connect()
    try {
      await loadPoints(db, points)
      const sql = fitSql(fit, 'lat', 'lon')
      const rows = (
        await db.runAndReadAll(
          `select ${sql.easting('x', 'y')} as easting, ${sql.northing('x', 'y')} as northing
           from (select n, ${sql.x} as x, ${sql.y} as y from points) order by n`,
        )
      ).getRows() as [number, number][]
      const apart = points.map(([lat, lon], n) => {
        const fitted = fitAt(fit, lat, lon)
        const [easting, northing] = rows[n] as [number, number]
        return Math.max(Math.abs(easting - fitted.easting), Math.abs(northing - fitted.northing))
      })
      expect(Math.max(...apart)).toBeLessThan(1e-8)
    } finally {
      db.closeSync()
      instance.closeSync()
    }
  })
})
