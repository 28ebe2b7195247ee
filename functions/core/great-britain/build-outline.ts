/**
 * Builds outline.json, Great Britain's outline in British National Grid metres, from Natural Earth's 1:10m
 * Admin 0 countries as the npm package world-atlas@2.0.2 ships them (countries-10m.json, TopoJSON). Run once:
 *
 *   npm pack world-atlas@2.0.2 --pack-destination /tmp && tar -xzf /tmp/world-atlas-2.0.2.tgz -C /tmp
 *   npx tsx functions/core/great-britain/build-outline.ts /tmp/package/countries-10m.json
 *   npx biome format --write functions/core/great-britain/outline.json
 *
 * It keeps the United Kingdom's polygons except Northern Ireland's (the north-east of the island of Ireland, and
 * Rathlin Island: the United Kingdom but not Great Britain, and mapped on the Irish Grid), projects them with
 * geo.ts's own transformation, and rounds to whole metres. Nothing is simplified: 1:10m is already generalised.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fromWgs84 } from '../geo.ts'

type Position = [number, number]
interface Topology {
  transform: { scale: Position; translate: Position }
  arcs: Position[][]
  objects: { countries: { geometries: { id: string; type: string; arcs: number[][][] }[] } }
}

const UNITED_KINGDOM = '826'
/** Every polygon wholly inside this box is Northern Ireland's; no polygon of Great Britain is. */
const NORTHERN_IRELAND = { west: -8.2, east: -5.4, south: 54.0, north: 55.35 }

const source = process.argv[2]
if (!source) throw new Error('usage: build-outline.ts COUNTRIES_10M_JSON')
const topology = JSON.parse(readFileSync(source, 'utf8')) as Topology
const kingdom = topology.objects.countries.geometries.find((geometry) => geometry.id === UNITED_KINGDOM)
if (kingdom?.type !== 'MultiPolygon') throw new Error(`${source}: no MultiPolygon with id ${UNITED_KINGDOM}`)

const rings = kingdom.arcs
  .map((polygon) => polygon.map((arcIndexes) => ringOf(arcIndexes)))
  .filter((polygon) => !polygon[0]?.every(inNorthernIreland))
  .flat()
  .map((ring) =>
    ring.flatMap(([lon, lat]) => {
      const { easting, northing } = fromWgs84(lat, lon)
      return [Math.round(easting), Math.round(northing)]
    }),
  )

const outline = {
  description:
    "Great Britain (England, Scotland, Wales and their islands): Natural Earth 1:10m Admin 0 countries v4.1.0, the United Kingdom's polygons without Northern Ireland's, from world-atlas@2.0.2 countries-10m.json",
  licence: 'public domain (Natural Earth); see README.md',
  crs: 'EPSG:27700',
  /** Each ring is [easting0, northing0, easting1, northing1, ...], closed (the last point repeats the first). */
  rings,
}
const target = new URL('./outline.json', import.meta.url)
writeFileSync(target, `${JSON.stringify(outline)}\n`)
console.log(
  `${rings.length} rings, ${rings.reduce((n, ring) => n + ring.length / 2, 0)} points -> ${target.pathname}`,
)

/** TopoJSON arcs are delta-encoded and quantised; a negative index means arc ~index, reversed. */
function ringOf(arcIndexes: number[]): Position[] {
  const ring: Position[] = []
  for (const index of arcIndexes) {
    const points = decodeArc(index < 0 ? ~index : index)
    if (index < 0) points.reverse()
    ring.push(...(ring.length > 0 ? points.slice(1) : points))
  }
  return ring
}

function decodeArc(index: number): Position[] {
  const { scale, translate } = topology.transform
  let x = 0
  let y = 0
  return (topology.arcs[index] ?? []).map(([dx, dy]) => {
    x += dx
    y += dy
    return [x * scale[0] + translate[0], y * scale[1] + translate[1]]
  })
}

function inNorthernIreland([lon, lat]: Position): boolean {
  const box = NORTHERN_IRELAND
  return lon >= box.west && lon <= box.east && lat >= box.south && lat <= box.north
}
