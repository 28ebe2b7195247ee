import proj4 from 'proj4'

/**
 * British National Grid (EPSG:27700) with the OSGB36 7-parameter Helmert shift: within about 5 m of OSTN15,
 * well inside one 25 m grid cell. (OSTN15 needs a grid file that is not bundled.)
 */
export const BNG =
  '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
  '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs'

const wgs84ToBng = proj4('EPSG:4326', BNG)

/** The extent of the national grid: points outside it are not in Great Britain. */
export const GRID_EXTENT = { minEasting: 0, maxEasting: 700_000, minNorthing: 0, maxNorthing: 1_300_000 }

export type Placement =
  | { ok: true; lat: number; lon: number; easting: number; northing: number }
  | { ok: false; reason: string }

/** Completes a location given as lat/lon or easting/northing (grid wins when both are given). */
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
  if (
    !Number.isFinite(easting) ||
    !Number.isFinite(northing) ||
    easting < GRID_EXTENT.minEasting ||
    easting > GRID_EXTENT.maxEasting ||
    northing < GRID_EXTENT.minNorthing ||
    northing > GRID_EXTENT.maxNorthing
  ) {
    return { ok: false, reason: `location ${describe(input)} is outside Great Britain's national grid` }
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
