import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { COORDINATE_PAIRS_AGREE_WITHIN_M, fromWgs84, toGrid, toWgs84 } from '../../functions/core/geo.ts'
import { sharedData } from '../helpers/shared-data.ts'

const CENTROIDS = 'the ONS LSOA centroid comparison'
const { path: LSOA21_BNG, present: HAVE_BNG } = sharedData('geo/LSOA21_PWC_EW_BNG.csv', CENTROIDS)
const { path: LSOA11_WGS84, present: HAVE_WGS84 } = sharedData('geo/LSOA11_PWC_EW_WGS84.csv', CENTROIDS)
const HAVE_CENTROIDS = HAVE_BNG && HAVE_WGS84

describe('WGS84 <-> British National Grid', () => {
  it('places Caister water tower within 5 m of its published grid reference', () => {
    // OS "Transformations and OSGM15 user guide", annexe A: ETRS89 52.658007833 N, 1.716073973 E is
    // OSGB36 (OSTN15) E 651409.804, N 313177.450. The Helmert shift used here is good to a few metres.
    const { easting, northing } = fromWgs84(52.658007833, 1.716073973)
    expect(Math.hypot(easting - 651_409.804, northing - 313_177.45)).toBeLessThan(5)
    const back = toWgs84(651_409.804, 313_177.45)
    // 5 m is about 0.000045 degrees of latitude and 0.000074 degrees of longitude there
    expect(Math.abs(back.lat - 52.658007833)).toBeLessThan(0.00005)
    expect(Math.abs(back.lon - 1.716073973)).toBeLessThan(0.00008)
  })

  it('puts the false origin of the grid where it belongs', () => {
    // true origin 49 N 2 W is E 400000, N -100000 (plus the datum shift of a few tens of metres at most)
    const { easting, northing } = fromWgs84(49, -2)
    expect(Math.abs(easting - 400_000)).toBeLessThan(150)
    expect(Math.abs(northing + 100_000)).toBeLessThan(150)
  })

  it('round-trips to the centimetre', () => {
    for (const [lat, lon] of [
      [51.5136, -0.089],
      [57.1497, -2.0943],
      [50.0657, -5.7132],
      [55.9533, -3.1883],
    ] as const) {
      const { easting, northing } = fromWgs84(lat, lon)
      const back = toWgs84(easting, northing)
      const again = fromWgs84(back.lat, back.lon)
      expect(Math.hypot(again.easting - easting, again.northing - northing)).toBeLessThan(0.01)
    }
  })

  it('toGrid completes a WGS84 location with integer metres', () => {
    const placed = toGrid({ lat: 52.658007833, lon: 1.716073973 })
    expect(placed.ok).toBe(true)
    if (!placed.ok) return
    expect(Number.isInteger(placed.easting) && Number.isInteger(placed.northing)).toBe(true)
    expect(Math.abs(placed.easting - 651_410)).toBeLessThanOrEqual(5)
    expect(Math.abs(placed.northing - 313_177)).toBeLessThanOrEqual(5)
    expect(placed.lat).toBe(52.658007833)
  })

  it('toGrid completes a grid location with lat/lon to 6 decimals', () => {
    const placed = toGrid({ easting: 651_410, northing: 313_177 })
    expect(placed.ok).toBe(true)
    if (!placed.ok) return
    expect(placed.easting).toBe(651_410)
    expect(placed.northing).toBe(313_177)
    expect(Math.abs(placed.lat - 52.658)).toBeLessThan(0.001)
    expect(Math.abs(placed.lon - 1.716)).toBeLessThan(0.001)
    expect(Math.round(placed.lat * 1e6) / 1e6).toBe(placed.lat)
  })

  it('keeps the grid when lat/lon and easting/northing agree to within 100 m', () => {
    // Cheapside: 51.5136, -0.0890 is E 532703 N 181139; the grid given is 60 m east of it
    const placed = toGrid({ lat: 51.5136, lon: -0.089, easting: 532_763, northing: 181_139 })
    expect(placed).toMatchObject({ ok: true, easting: 532_763, northing: 181_139 })
    if (!placed.ok) return
    expect(fromWgs84(placed.lat, placed.lon).easting).toBeCloseTo(532_763, -1)
  })

  it('refuses lat/lon and easting/northing more than 100 m apart, naming both and the distance', () => {
    const placed = toGrid({ lat: 51.5136, lon: -0.089, easting: 532_703, northing: 181_289 })
    expect(placed).toEqual({
      ok: false,
      reason:
        'lat/lon 51.5136,-0.089 and easting/northing E532703 N181289 are 150 m apart (more than 100 m): ' +
        'they name two places',
    })
    // the grid does not silently win, however far the other pair is
    expect(toGrid({ easting: 651_410, northing: 313_177, lat: 10, lon: 10 })).toMatchObject({ ok: false })
    expect(toGrid({ lat: 51.5136, lon: -0.089, easting: 532_703, northing: 181_139 + 99 }).ok).toBe(true)
    expect(COORDINATE_PAIRS_AGREE_WITHIN_M).toBe(100)
  })

  it('refuses locations far outside Great Britain', () => {
    expect(toGrid({ lat: 48.8566, lon: 2.3522 })).toMatchObject({
      ok: false,
      reason: /outside Great Britain/,
    }) // Paris
    expect(toGrid({ lat: 0, lon: 0 })).toMatchObject({ ok: false })
    expect(toGrid({ lat: 40.7128, lon: -74.006 })).toMatchObject({ ok: false }) // New York
    expect(toGrid({ easting: -1, northing: 100_000 })).toMatchObject({ ok: false })
    expect(toGrid({ easting: 700_001, northing: 100_000 })).toMatchObject({ ok: false })
    expect(toGrid({ easting: 300_000, northing: 1_300_001 })).toMatchObject({ ok: false })
    expect(toGrid({ easting: 300_000, northing: -5 })).toMatchObject({ ok: false })
    expect(toGrid({ lat: 51.5 })).toMatchObject({ ok: false, reason: 'no coordinates' })
  })

  // the national grid's rectangle took all of these
  it.each([
    ['Dublin', 53.3498, -6.2603],
    ['Calais', 50.9513, 1.8587],
    ['Cap Gris-Nez', 50.8693, 1.5837],
    ['Belfast', 54.5973, -5.9301],
    ['Torr Head, Northern Ireland', 55.1947, -6.0625],
    ['Douglas, Isle of Man', 54.1523, -4.4861],
    ['Point of Ayre, Isle of Man', 54.4156, -4.3677],
    ['St Helier, Jersey', 49.1839, -2.107],
    ['St Peter Port, Guernsey', 49.4551, -2.5364],
  ])('refuses %s: not Great Britain', (_place, lat, lon) => {
    expect(toGrid({ lat, lon })).toEqual({
      ok: false,
      reason: `location ${lat},${lon} is outside Great Britain`,
    })
  })

  // its edges, its far islands, and islands that the 1:10m outline leaves out (St Mary's town, Eigg)
  it.each([
    ['London', 51.5074, -0.1278],
    ["Land's End", 50.0657, -5.7132],
    ["John o' Groats", 58.6373, -3.0689],
    ['Lerwick, Shetland', 60.155, -1.145],
    ['Stornoway, Lewis', 58.2093, -6.3865],
    ["Hugh Town, St Mary's, Isles of Scilly", 49.914, -6.315],
    ['Holyhead, Anglesey', 53.3094, -4.6331],
    ['Galmisdale, Eigg', 56.88, -6.13],
    ['Southend pier head', 51.508, 0.717],
  ])('accepts %s', (_place, lat, lon) => {
    expect(toGrid({ lat, lon }).ok).toBe(true)
  })
})

function readCsv(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/)
    .map((line) => line.split(','))
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number
}

/*
 * ONS population-weighted centroids of LSOAs: 2021 given in BNG, 2011 in WGS84. A population-weighted centroid
 * moves between censuses even where the boundary did not (measured: median 13 m, 90th percentile 77 m), so
 * single codes are no fixed points. But those moves have no preferred direction, whereas a datum or projection
 * error shifts every point the same way: the median offset over ~33,600 shared codes must be near zero, and
 * the codes whose population did not move must agree to within metres.
 */
describe.skipIf(!HAVE_CENTROIDS)('ONS LSOA centroids, 2011 WGS84 vs 2021 BNG', () => {
  it('agree with fromWgs84 without systematic offset', () => {
    const grid = new Map(
      readCsv(LSOA21_BNG)
        .slice(1)
        .map((r) => [r[1], [Number(r[3]), Number(r[4])] as const]),
    )
    const dx: number[] = []
    const dy: number[] = []
    const distance: number[] = []
    for (const r of readCsv(LSOA11_WGS84).slice(1)) {
      const bng = grid.get(r[3])
      if (!bng) continue
      const { easting, northing } = fromWgs84(Number(r[1]), Number(r[0]))
      dx.push(easting - bng[0])
      dy.push(northing - bng[1])
      distance.push(Math.hypot(easting - bng[0], northing - bng[1]))
    }
    for (const list of [dx, dy, distance]) list.sort((a, b) => a - b)
    expect(distance.length).toBeGreaterThan(30_000)
    expect(Math.abs(quantile(dx, 0.5))).toBeLessThan(2)
    expect(Math.abs(quantile(dy, 0.5))).toBeLessThan(2)
    // at least a quarter of the centroids did not move: they agree to within 10 m
    expect(quantile(distance, 0.25)).toBeLessThan(10)
    expect(quantile(distance, 0.05)).toBeLessThan(5)
  })
})
