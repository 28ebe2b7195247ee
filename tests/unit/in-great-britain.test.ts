import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  GREAT_BRITAIN_TOLERANCE_M,
  inGreatBritain,
  wholeBoxInGreatBritain,
} from '../../functions/core/great-britain/in-great-britain.ts'
import outline from '../../functions/core/great-britain/outline.json' with { type: 'json' }
import { sharedData } from '../helpers/shared-data.ts'

const { path: LSOA21_BNG, present: HAVE_LSOA21 } = sharedData(
  'geo/LSOA21_PWC_EW_BNG.csv',
  'the ONS 2021 LSOA centroids check',
)

/** The rule inGreatBritain answers from its raster, computed the slow way: every ring, every edge. */
function inOrNearOutline(x: number, y: number): boolean {
  let inside = false
  let near = false
  for (const ring of outline.rings) {
    for (let i = 0; i + 3 < ring.length; i += 2) {
      const x1 = ring[i] as number
      const y1 = ring[i + 1] as number
      const x2 = ring[i + 2] as number
      const y2 = ring[i + 3] as number
      if (y1 > y !== y2 > y && x < x1 + ((y - y1) * (x2 - x1)) / (y2 - y1)) inside = !inside
      const dx = x2 - x1
      const dy = y2 - y1
      const t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy || 1)))
      const ex = x - x1 - t * dx
      const ey = y - y1 - t * dy
      if (ex * ex + ey * ey <= GREAT_BRITAIN_TOLERANCE_M ** 2) near = true
    }
  }
  return inside || near
}

describe('inGreatBritain', () => {
  it('answers as the outline and its tolerance do, at the tolerance edge and anywhere', () => {
    const points: [number, number][] = []
    // around the edge of the tolerance, where the raster hands over to the exact distance
    outline.rings.forEach((ring, r) => {
      for (let i = (r * 14) % 240; i < ring.length; i += 240) {
        for (let direction = 0; direction < 8; direction++) {
          const angle = (direction * Math.PI) / 4 + r
          for (const reach of [-700, -150, -10, 10, 150, 700]) {
            const distance = GREAT_BRITAIN_TOLERANCE_M + reach
            points.push([
              (ring[i] as number) + distance * Math.cos(angle),
              (ring[i + 1] as number) + distance * Math.sin(angle),
            ])
          }
        }
      }
    })
    // and a lattice over the whole grid and beyond it
    for (let x = -300_000; x <= 800_000; x += 24_989) {
      for (let y = -100_000; y <= 1_300_000; y += 25_013) points.push([x, y])
    }
    const disagreements = points.filter(([x, y]) => inGreatBritain(x, y) !== inOrNearOutline(x, y))
    expect(points.length).toBeGreaterThan(4_000)
    expect(disagreements).toEqual([])
    // both answers occur near the edge, so the comparison means something
    expect(points.filter(([x, y]) => inGreatBritain(x, y)).length).toBeGreaterThan(1_000)
    expect(points.filter(([x, y]) => !inGreatBritain(x, y)).length).toBeGreaterThan(1_000)
  })

  it('says a box is wholly in only when every point of it is, and settles most inland boxes at once', () => {
    // boxes of 40 to 2,500 m, inland, on the coast and at the tolerance's edge at sea
    const boxes: [number, number, number][] = []
    for (let x = 100_000; x <= 700_000; x += 7_919) {
      for (let y = 0; y <= 1_200_000; y += 10_007) boxes.push([x, y, 40 + ((x + y) % 2_460)])
    }
    let wholly = 0
    const outside: string[] = []
    for (const [west, south, size] of boxes) {
      if (!wholeBoxInGreatBritain(west, south, west + size, south + size)) continue
      wholly++
      // every point of a box said to be in is in: a lattice of 11 x 11 over it, its edges included
      for (let i = 0; i <= 10; i++) {
        for (let j = 0; j <= 10; j++) {
          const [x, y] = [west + (size * i) / 10, south + (size * j) / 10]
          if (!inGreatBritain(x, y)) outside.push(`${x},${y}`)
        }
      }
    }
    expect(outside).toEqual([])
    // the mainland's inland boxes are settled at once, and boxes far at sea never are
    expect(wholly).toBeGreaterThan(boxes.length / 5)
    expect(wholeBoxInGreatBritain(-250_000, 500_000, -249_000, 501_000)).toBe(false)
    expect(wholeBoxInGreatBritain(530_000, 180_000, 530_100, 180_100)).toBe(true)
    expect(wholeBoxInGreatBritain(530_000, 180_000, Number.NaN, 180_100)).toBe(false)
  })

  it.skipIf(!HAVE_LSOA21)(
    'takes every ONS 2021 population-weighted LSOA centroid of England and Wales',
    () => {
      const outside = readFileSync(LSOA21_BNG, 'utf8')
        .trim()
        .split(/\r?\n/)
        .slice(1)
        .map((line) => line.split(','))
        .filter((r) => !inGreatBritain(Number(r[3]), Number(r[4])))
        .map((r) => r[1])
      expect(outside).toEqual([])
    },
  )
})
