import proj4 from 'proj4'
import { inGreatBritain } from './great-britain/in-great-britain.ts'

/**
 * British National Grid (EPSG:27700) with the OSGB36 7-parameter Helmert shift: within about 5 m of OSTN15,
 * well inside one 25 m grid cell. (OSTN15 needs a grid file that is not bundled.)
 */
export const BNG =
  '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
  '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs'

const wgs84ToBng = proj4('EPSG:4326', BNG)

export type Placement =
  | { ok: true; lat: number; lon: number; easting: number; northing: number }
  | { ok: false; reason: string }

/**
 * How far apart a row's lat/lon and easting/northing may be and still name one place. Converting between the
 * two costs a few metres (the Helmert shift here, OSTN15 at the source) and sources round lat/lon to 4-6
 * decimals (at most 6 m), so honest pairs agree to well under 100 m; a pair further apart is two places, and
 * no rule can tell which one is right.
 */
export const COORDINATE_PAIRS_AGREE_WITHIN_M = 100

/**
 * Completes a location given as lat/lon or easting/northing. When both are given and agree, the grid is kept
 * (it is what the lake stores and joins on, the source's own figure rather than our conversion of it) and
 * lat/lon is derived from it; when they disagree the row is refused.
 */
export function toGrid(input: {
  lat?: number
  lon?: number
  easting?: number
  northing?: number
}): Placement {
  let easting: number
  let northing: number
  let lat: number
  let lon: number
  if (input.easting !== undefined && input.northing !== undefined) {
    if (input.lat !== undefined && input.lon !== undefined) {
      const given = fromWgs84(input.lat, input.lon)
      const apart = Math.hypot(given.easting - input.easting, given.northing - input.northing)
      if (!(apart <= COORDINATE_PAIRS_AGREE_WITHIN_M)) {
        return {
          ok: false,
          reason:
            `lat/lon ${input.lat},${input.lon} and easting/northing E${input.easting} N${input.northing} are ` +
            `${Math.round(apart)} m apart (more than ${COORDINATE_PAIRS_AGREE_WITHIN_M} m): they name two places`,
        }
      }
    }
    easting = Math.round(input.easting)
    northing = Math.round(input.northing)
    ;[lon, lat] = wgs84ToBng.inverse([easting, northing]) as [number, number]
    lat = round6(lat)
    lon = round6(lon)
  } else if (input.lat !== undefined && input.lon !== undefined) {
    lat = input.lat
    lon = input.lon
    const [e, n] = wgs84ToBng.forward([lon, lat]) as [number, number]
    easting = Math.round(e)
    northing = Math.round(n)
  } else {
    return { ok: false, reason: 'no coordinates' }
  }
  if (!(Number.isFinite(easting) && Number.isFinite(northing) && inGreatBritain(easting, northing))) {
    return { ok: false, reason: `location ${describe(input)} is outside Great Britain` }
  }
  return { ok: true, lat, lon, easting, northing }
}

export function toWgs84(easting: number, northing: number): { lat: number; lon: number } {
  const [lon, lat] = wgs84ToBng.inverse([easting, northing]) as [number, number]
  return { lat, lon }
}

export function fromWgs84(lat: number, lon: number): { easting: number; northing: number } {
  const [easting, northing] = wgs84ToBng.forward([lon, lat]) as [number, number]
  return { easting, northing }
}

function describe(input: { lat?: number; lon?: number; easting?: number; northing?: number }): string {
  return input.easting !== undefined ? `E${input.easting} N${input.northing}` : `${input.lat},${input.lon}`
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6
}
