import { toWgs84 } from '../geo.ts'
import { CRIME_MIX, type CrimeType, POLICE_INITIATED, STREET_NAMES } from './catalogue.ts'
import { AliasTable, Categorical, Random } from './random.ts'

/**
 * The synthetic city: a 10 km x 8 km box of British National Grid around central London, cut into 100 m cells.
 * Each cell has an expected share of the day's incidents (a smooth town-centre surface times log-normal noise)
 * and a crime mix (residential, town centre, or the night-time mix of a micro hot spot). About forty micro hot
 * spots (one or two cells, at least 500 m apart) carry a planted share of all incidents; the busiest twenty
 * become the programme's hotspots, and two quiet-of-programme 300 m blocks become the control areas.
 */

export const AREA = { minEasting: 525_000, maxEasting: 535_000, minNorthing: 175_000, maxNorthing: 183_000 }
export const CELL_M = 100
export const NX = (AREA.maxEasting - AREA.minEasting) / CELL_M
export const NY = (AREA.maxNorthing - AREA.minNorthing) / CELL_M
export const CELLS = NX * NY

export const CITY_PARAMETERS = {
  townCentres: 8,
  /** Log-normal sigma of the cell-to-cell noise on the smooth surface. */
  backgroundSigma: 0.5,
  microHotSites: 25,
  /** Share of all incidents (expected) in the micro hot spots. */
  microHotShare: 0.1,
  microHotSigma: 0.5,
  siteSeparationM: 500,
  hotspots: 20,
  bufferM: 100,
  controls: 2,
  /** Controls are blocks of controlCells x controlCells cells, this far (m) from any micro hot spot, and apart. */
  controlCells: 8,
  controlClearanceM: 300,
  controlSeparationM: 500,
}

export type MixName = keyof typeof CRIME_MIX

export interface Rect {
  /** BNG metres, west/south inclusive, east/north exclusive. */
  west: number
  south: number
  east: number
  north: number
}

export interface Area {
  id: string
  name: string
  borough: string
  rect: Rect
  /** 100 m cell indices inside the area. */
  cells: number[]
  /** Expected incidents per day before the programme, at an average weekday and season. */
  expectedPerDay: number
  /** Expected CCHI harm days per day before the programme (ASB and police-initiated carry none). */
  expectedHarmPerDay: number
}

export interface Hotspot extends Area {
  index: number
  commanderId: string
}

export interface Commander {
  id: string
  name: string
  email: string
  borough: string
  hotspotIds: string[]
}

export interface City {
  incidentsPerDay: number
  /** Expected share of the day's incidents per cell (sums to 1). */
  cellShare: Float64Array
  /** Share of the cell's incidents drawn from the town-centre mix (the rest residential); -1 for hot cells. */
  centreShare: Float64Array
  cellAlias: AliasTable
  mixes: Record<MixName, Categorical<CrimeType>>
  hotspots: Hotspot[]
  controls: Area[]
  /** Hotspot index + 1 of a cell inside a hotspot, else 0. */
  hotspotOfCell: Int16Array
  /** Hotspot index + 1 of a cell touching a hotspot (where its buffer may reach), else 0. */
  nearHotspotOfCell: Int16Array
  commanders: Commander[]
  streetOfCell: (cell: number) => string
  concentration: {
    expectedTop1ShareHarm: number
    expectedTop5ShareHarm: number
    expectedTop1ShareCount: number
    hotspotShareHarm: number
    hotspotShareCount: number
  }
}

export function cellX(cell: number): number {
  return cell % NX
}
export function cellY(cell: number): number {
  return Math.floor(cell / NX)
}
export function cellWest(cell: number): number {
  return AREA.minEasting + cellX(cell) * CELL_M
}
export function cellSouth(cell: number): number {
  return AREA.minNorthing + cellY(cell) * CELL_M
}

/** The city's four boroughs, one per quarter of its area. */
export const BOROUGHS = ['Camden', 'Islington', 'Lambeth', 'Southwark'] as const

function boroughOf(easting: number, northing: number): string {
  const east = easting >= (AREA.minEasting + AREA.maxEasting) / 2
  const north = northing >= (AREA.minNorthing + AREA.maxNorthing) / 2
  if (north) return east ? 'Islington' : 'Camden'
  return east ? 'Southwark' : 'Lambeth'
}

const COMMANDER_NAMES: Record<string, string> = {
  Camden: 'Insp. A. Patel',
  Islington: 'Insp. B. Okafor',
  Lambeth: 'Insp. C. Murphy',
  Southwark: 'Insp. D. Clarke',
}

/** Mean CCHI days per incident of a mix, police-initiated records carrying none. */
export function meanHarm(mix: Record<CrimeType, number>, weights: Map<string, number>): number {
  let total = 0
  let harm = 0
  for (const [type, p] of Object.entries(mix) as [CrimeType, number][]) {
    total += p
    harm += p * (weights.get(type) ?? 0) * (1 - (POLICE_INITIATED[type] ?? 0))
  }
  return harm / total
}

function rectOfCells(cells: number[]): Rect {
  const wests = cells.map(cellWest)
  const souths = cells.map(cellSouth)
  return {
    west: Math.min(...wests),
    south: Math.min(...souths),
    east: Math.max(...wests) + CELL_M,
    north: Math.max(...souths) + CELL_M,
  }
}

function centreOf(rect: Rect): [number, number] {
  return [(rect.west + rect.east) / 2, (rect.south + rect.north) / 2]
}

/** Shortest distance between two rectangles (0 when they touch or overlap). */
function rectDistance(a: Rect, b: Rect): number {
  const dx = Math.max(a.west - b.east, 0, b.west - a.east)
  const dy = Math.max(a.south - b.north, 0, b.south - a.north)
  return Math.hypot(dx, dy)
}

/** Euclidean distance from a point to a rectangle (0 inside). */
export function distanceToRect(easting: number, northing: number, rect: Rect): number {
  const dx = Math.max(rect.west - easting, 0, easting - rect.east)
  const dy = Math.max(rect.south - northing, 0, northing - rect.north)
  return Math.hypot(dx, dy)
}

export function buildCity(seed: number, incidentsPerDay: number, weights: Map<string, number>): City {
  const p = CITY_PARAMETERS
  const random = new Random(seed, 'city')
  // smooth surface: town centres as Gaussian bumps over a floor
  const centres = Array.from({ length: p.townCentres }, (_, i) => ({
    e: random.uniform(AREA.minEasting + 800, AREA.maxEasting - 800),
    n: random.uniform(AREA.minNorthing + 800, AREA.maxNorthing - 800),
    amplitude: (i === 0 ? 2 : 1) * random.logNormal(0.35),
    radius: random.uniform(350, 900),
  }))
  const surface = new Float64Array(CELLS)
  const centreShare = new Float64Array(CELLS)
  const background = new Float64Array(CELLS)
  for (let cell = 0; cell < CELLS; cell++) {
    const e = cellWest(cell) + CELL_M / 2
    const n = cellSouth(cell) + CELL_M / 2
    let bump = 0
    for (const c of centres)
      bump += c.amplitude * Math.exp(-((e - c.e) ** 2 + (n - c.n) ** 2) / (2 * c.radius ** 2))
    surface[cell] = 0.2 + bump
    centreShare[cell] = Math.min(1, bump / 0.8)
    background[cell] = (0.2 + bump) * random.logNormal(p.backgroundSigma)
  }

  // micro hot spots: drawn in proportion to the surface squared, at least siteSeparationM apart
  const siteAlias = new AliasTable(surface.map((s) => s * s))
  const sites: { cells: number[]; rect: Rect; weight: number }[] = []
  for (let attempt = 0; sites.length < p.microHotSites && attempt < 100_000; attempt++) {
    const cell = siteAlias.draw(random)
    const x = cellX(cell)
    const y = cellY(cell)
    if (x < 4 || y < 4 || x >= NX - 5 || y >= NY - 5) continue
    const cells = [cell]
    if (random.chance(0.4)) cells.push(random.chance(0.5) ? cell + 1 : cell + NX)
    const rect = rectOfCells(cells)
    const [ce, cn] = centreOf(rect)
    const tooClose = sites.some((site) => {
      const [se, sn] = centreOf(site.rect)
      return Math.hypot(se - ce, sn - cn) < p.siteSeparationM
    })
    if (tooClose) continue
    sites.push({ cells, rect, weight: random.logNormal(p.microHotSigma) })
  }
  if (sites.length < p.hotspots) throw new Error('could not place enough micro hot spots')

  // expected incident share per cell: background scaled to (1 - microHotShare), sites to microHotShare
  const cellShare = new Float64Array(CELLS)
  const backgroundTotal = background.reduce((a, b) => a + b, 0)
  const siteTotal = sites.reduce((a, s) => a + s.weight, 0)
  for (let cell = 0; cell < CELLS; cell++)
    cellShare[cell] = ((background[cell] as number) / backgroundTotal) * (1 - p.microHotShare)
  for (const site of sites) {
    for (const cell of site.cells) {
      cellShare[cell] =
        (cellShare[cell] as number) + ((site.weight / siteTotal) * p.microHotShare) / site.cells.length
      centreShare[cell] = -1
    }
  }

  const harmOf = {
    residential: meanHarm(CRIME_MIX.residential, weights),
    centre: meanHarm(CRIME_MIX.centre, weights),
    hot: meanHarm(CRIME_MIX.hot, weights),
  }
  const cellHarm = (cell: number) => {
    const c = centreShare[cell] as number
    const perIncident = c < 0 ? harmOf.hot : c * harmOf.centre + (1 - c) * harmOf.residential
    return (cellShare[cell] as number) * perIncident
  }
  const expectedHarm = Float64Array.from({ length: CELLS }, (_, cell) => cellHarm(cell))

  // hotspots: the busiest sites, numbered from the busiest
  sites.sort((a, b) => b.weight - a.weight)
  const streetOfCell = (cell: number) => {
    const hash = Math.imul(cell ^ 0x5bd1e995, 0x27d4eb2d) ^ seed
    return STREET_NAMES[(hash >>> 0) % STREET_NAMES.length] as string
  }
  const hotspotOfCell = new Int16Array(CELLS)
  const nearHotspotOfCell = new Int16Array(CELLS)
  const area = (id: string, cells: number[], rect: Rect, suffix: string): Area => {
    const [ce, cn] = centreOf(rect)
    const share = cells.reduce((a, c) => a + (cellShare[c] as number), 0)
    const harm = cells.reduce((a, c) => a + (expectedHarm[c] as number), 0)
    return {
      id,
      name: `${streetOfCell(cells[0] as number)} ${suffix}`,
      borough: boroughOf(ce, cn),
      rect,
      cells,
      expectedPerDay: share * incidentsPerDay,
      expectedHarmPerDay: harm * incidentsPerDay,
    }
  }
  const hotspots: Hotspot[] = sites.slice(0, p.hotspots).map((site, index) => {
    const a = area(`HS-${String(index + 1).padStart(2, '0')}`, site.cells, site.rect, 'hotspot')
    return { ...a, index, commanderId: `CMD-${a.borough.toUpperCase()}` }
  })
  for (const hotspot of hotspots) {
    for (const cell of hotspot.cells) hotspotOfCell[cell] = hotspot.index + 1
    for (const cell of hotspot.cells) {
      for (const dx of [-1, 0, 1]) {
        for (const dy of [-1, 0, 1]) {
          const near = cell + dx + dy * NX
          if (hotspotOfCell[near] === 0) nearHotspotOfCell[near] = hotspot.index + 1
        }
      }
    }
  }

  // controls: the busiest square blocks well away from every micro hot spot, and apart from each other
  const side = p.controlCells
  const blockCells = (corner: number) =>
    Array.from({ length: side * side }, (_, i) => corner + (i % side) + Math.floor(i / side) * NX)
  const candidates: { cell: number; harm: number; rect: Rect }[] = []
  for (let y = 3; y < NY - side - 3; y++) {
    for (let x = 3; x < NX - side - 3; x++) {
      const cells = blockCells(y * NX + x)
      const rect = rectOfCells(cells)
      if (sites.some((site) => rectDistance(rect, site.rect) < p.controlClearanceM)) continue
      candidates.push({
        cell: y * NX + x,
        harm: cells.reduce((a, c) => a + (expectedHarm[c] as number), 0),
        rect,
      })
    }
  }
  candidates.sort((a, b) => b.harm - a.harm || a.cell - b.cell)
  const controls: Area[] = []
  for (const candidate of candidates) {
    if (controls.length === p.controls) break
    if (controls.some((c) => rectDistance(candidate.rect, c.rect) < p.controlSeparationM)) continue
    const id = `CTRL-${String(controls.length + 1).padStart(2, '0')}`
    controls.push(area(id, blockCells(candidate.cell), candidate.rect, 'comparison area'))
  }
  if (controls.length < p.controls) throw new Error('could not place the control areas')

  const boroughs = [...new Set(hotspots.map((h) => h.borough))].sort()
  const commanders: Commander[] = boroughs.map((borough) => ({
    id: `CMD-${borough.toUpperCase()}`,
    name: COMMANDER_NAMES[borough] as string,
    email: `cmd-${borough.toLowerCase()}@example.police.uk`,
    borough,
    hotspotIds: hotspots.filter((h) => h.borough === borough).map((h) => h.id),
  }))

  return {
    incidentsPerDay,
    cellShare,
    centreShare,
    cellAlias: new AliasTable(cellShare),
    mixes: {
      residential: Categorical.of(CRIME_MIX.residential),
      centre: Categorical.of(CRIME_MIX.centre),
      hot: Categorical.of(CRIME_MIX.hot),
    },
    hotspots,
    controls,
    hotspotOfCell,
    nearHotspotOfCell,
    commanders,
    streetOfCell,
    concentration: concentrationOf(cellShare, expectedHarm, hotspotOfCell),
  }
}

function topShare(values: Float64Array, fraction: number): number {
  const sorted = Float64Array.from(values).sort().reverse()
  const k = Math.ceil(values.length * fraction)
  let top = 0
  let total = 0
  sorted.forEach((v, i) => {
    total += v
    if (i < k) top += v
  })
  return top / total
}

function concentrationOf(share: Float64Array, harm: Float64Array, hotspotOfCell: Int16Array) {
  let hotspotHarm = 0
  let hotspotCount = 0
  let totalHarm = 0
  for (let cell = 0; cell < CELLS; cell++) {
    totalHarm += harm[cell] as number
    if ((hotspotOfCell[cell] as number) > 0) {
      hotspotHarm += harm[cell] as number
      hotspotCount += share[cell] as number
    }
  }
  return {
    expectedTop1ShareHarm: round(topShare(harm, 0.01), 4),
    expectedTop5ShareHarm: round(topShare(harm, 0.05), 4),
    expectedTop1ShareCount: round(topShare(share, 0.01), 4),
    hotspotShareHarm: round(hotspotHarm / totalHarm, 4),
    hotspotShareCount: round(hotspotCount, 4),
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** An anticlockwise closed ring of a BNG rectangle in WGS84 [lon, lat] (6 decimals, ~0.1 m). */
export function wgs84Ring(rect: Rect): [number, number][] {
  const corners: [number, number][] = [
    [rect.west, rect.south],
    [rect.east, rect.south],
    [rect.east, rect.north],
    [rect.west, rect.north],
  ]
  const ring = corners.map(([e, n]) => {
    const { lat, lon } = toWgs84(e, n)
    return [round(lon, 6), round(lat, 6)] as [number, number]
  })
  return [...ring, ring[0] as [number, number]]
}
