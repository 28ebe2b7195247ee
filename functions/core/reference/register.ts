import path from 'node:path'
import { z } from 'zod'
import type { Column } from '../contracts/columns.ts'
import { fromWgs84 } from '../geo.ts'
import { inGreatBritain } from '../great-britain/in-great-britain.ts'
import { referenceKey } from '../lake.ts'
import { writeParquetTable } from '../parquet/writer.ts'
import { type Clock, type ObjectStore, systemClock } from '../ports.ts'
import { isDay, parseDate } from '../time/days.ts'
import { decodeUtf8, fieldName, issueReason, parseJson, ReferenceDataError } from './errors.ts'
import { identifier, singleLineText } from './fields.ts'
import { CELL_SIZE_M, type CellSet, cellsInside, cellsNearEdges, type GridPolygon } from './grid.ts'
import { loadOnce, type ReferenceLoadResult } from './manifest.ts'

/** Version of the register's file contract below. */
export const REGISTER_VERSION = 1
export const DEFAULT_BUFFER_M = 100
/** Displacement buffers are a few hundred metres; anything larger is almost certainly a unit mistake. */
export const MAX_BUFFER_M = 2000
export const PHASES = ['clear', 'hold', 'build'] as const
export const AREA_ROLES = ['hotspot', 'buffer', 'control'] as const
export type AreaRole = (typeof AREA_ROLES)[number]

/** Names of coordinate systems that mean WGS84 longitude/latitude in a GeoJSON `crs` member. */
const WGS84_CRS_NAMES = new Set(['urn:ogc:def:crs:OGC:1.3:CRS84', 'urn:ogc:def:crs:EPSG::4326', 'EPSG:4326'])

const isoDate = z.string().refine(isDay, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a date (YYYY-MM-DD)`,
})

const phaseSchema = z.object({
  phase: z.enum(PHASES, {
    error: (issue) => `unknown phase ${JSON.stringify(issue.input)}; expected one of ${PHASES.join(', ')}`,
  }),
  from: isoDate,
  /** Last day of the phase, inclusive; absent while the phase is still running. */
  to: isoDate.optional(),
})

const position = z
  .array(z.number('a coordinate must be a number'))
  .min(2, 'a position is [longitude, latitude]')
  .max(3, 'a position is [longitude, latitude] or [longitude, latitude, height]')
const ring = z.array(position).min(4, 'a ring needs at least 4 positions, the first repeated as the last')
const polygonRings = z.array(ring).min(1, 'a polygon needs an exterior ring')

const geometrySchema = z
  .discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('Polygon'), coordinates: polygonRings }),
      z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(polygonRings).min(1) }),
    ],
    {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `must be Polygon or MultiPolygon, not ${JSON.stringify((issue.input as { type?: unknown }).type)}`
          : 'a Polygon or MultiPolygon geometry is required',
    },
  )
  .superRefine((geometry, ctx) => {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates
    polygons.forEach((rings, p) => {
      rings.forEach((points, r) => {
        const ringPath = geometry.type === 'Polygon' ? ['coordinates', r] : ['coordinates', p, r]
        const first = points[0] as number[]
        const last = points[points.length - 1] as number[]
        if (first[0] !== last[0] || first[1] !== last[1]) {
          ctx.addIssue({
            code: 'custom',
            path: ringPath,
            message: 'ring is not closed (its last position must repeat its first)',
          })
        }
        const outside = points.findIndex((point) => !isWgs84InGreatBritain(point as [number, number]))
        if (outside !== -1) {
          ctx.addIssue({
            code: 'custom',
            path: [...ringPath, outside],
            message:
              `${JSON.stringify(points[outside])} is not a WGS84 [longitude, latitude] in Great Britain ` +
              '(latitude and longitude swapped, or British National Grid metres?)',
          })
        }
      })
    })
  })

function isWgs84InGreatBritain([lon, lat]: [number, number]): boolean {
  if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) return false
  const { easting, northing } = fromWgs84(lat, lon)
  return inGreatBritain(easting, northing)
}

const propertiesSchema = z
  .object({
    hotspot_id: identifier,
    name: singleLineText,
    borough: singleLineText,
    commander_id: identifier.optional(),
    /** Absent means a hotspot. */
    role: z
      .enum(['hotspot', 'control'], {
        error: (issue) =>
          `unknown role ${JSON.stringify(issue.input)}; expected hotspot or control (or no role)`,
      })
      .optional(),
    phases: z.array(phaseSchema).optional(),
    buffer_m: z
      .number('must be a number of metres')
      .min(0, 'must not be negative')
      .max(MAX_BUFFER_M, `is more than ${MAX_BUFFER_M} m`)
      .nullish(),
  })
  .superRefine((properties, ctx) => {
    const control = properties.role === 'control'
    if (!control && properties.commander_id === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['commander_id'],
        message: 'required value is missing (only a control area may omit it)',
      })
    }
    if (!control && (properties.phases ?? []).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['phases'], message: 'a hotspot needs at least one phase' })
    }
    // 0 (or no value) is consistent with a control; a positive buffer would be compared with nothing
    if (control && (properties.buffer_m ?? 0) > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['buffer_m'],
        message: 'a control area has no buffer; remove buffer_m',
      })
    }
    const phases = properties.phases ?? []
    phases.forEach((phase, i) => {
      if (phase.to !== undefined && phase.to < phase.from) {
        ctx.addIssue({
          code: 'custom',
          path: ['phases', i, 'to'],
          message: `${phase.to} is before from (${phase.from})`,
        })
      }
      const previous = phases[i - 1]
      if (previous === undefined) return
      if (previous.to === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['phases', i - 1, 'to'],
          message: 'only the last phase may be open-ended (no to)',
        })
      } else if (phase.from <= previous.to) {
        ctx.addIssue({
          code: 'custom',
          path: ['phases', i, 'from'],
          message: `${phase.from} is not after the previous phase's last day (${previous.to}); phases must be in order and not overlap`,
        })
      }
    })
  })

const featureSchema = z.object({
  type: z.literal('Feature', 'must be "Feature"'),
  geometry: geometrySchema,
  properties: propertiesSchema,
})

const crsSchema = z.object({
  type: z.literal('name', 'must be "name"'),
  properties: z.object({
    name: z.string().refine((name) => WGS84_CRS_NAMES.has(name), {
      error: (issue) =>
        `the register must be WGS84 longitude/latitude (CRS84), not ${JSON.stringify(issue.input)}`,
    }),
  }),
})

/**
 * The hotspot register (DESIGN section 3): a GeoJSON FeatureCollection in WGS84, one Polygon or MultiPolygon
 * feature per area. Properties: `hotspot_id` (unique across the file, controls included), `name`, `borough`,
 * `commander_id` (required unless `role` is `control`), `phases` (clear | hold | build, each `from` and an
 * inclusive `to`, in order without overlap; only the last may be open; required for hotspots), `buffer_m`
 * (default 100; controls have none) and `role` (`control`, or absent / `hotspot`). Other properties, as GIS
 * tools add them, are ignored.
 */
export const registerSchema = z
  .object({
    type: z.literal('FeatureCollection', 'must be "FeatureCollection"'),
    crs: crsSchema.optional(),
    features: z.array(featureSchema).min(1, 'the register has no areas'),
  })
  .superRefine((register, ctx) => {
    const firstIndex = new Map<string, number>()
    register.features.forEach((feature, i) => {
      const id = feature.properties.hotspot_id
      const earlier = firstIndex.get(id)
      if (earlier === undefined) firstIndex.set(id, i)
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'properties', 'hotspot_id'],
          message: `duplicate of features[${earlier}]`,
        })
      }
    })
  })

export type Register = z.output<typeof registerSchema>
export type RegisterFeature = Register['features'][number]

/** Validates a register file's text; the error names the feature (index and hotspot_id) and the field. */
export function parseRegister(text: string, file: string): Register {
  const json = parseJson(text, file)
  const parsed = registerSchema.safeParse(json, { reportInput: true })
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0] as z.core.$ZodIssue
  const reason = issueReason(issue, parsed.error.issues.length)
  const [top, index, ...rest] = issue.path
  if (top === 'features' && typeof index === 'number') {
    const feature = featureLabel(index, (json as { features: unknown[] }).features[index])
    throw new ReferenceDataError(file, rest.length > 0 ? [feature, fieldName(rest)] : [feature], reason)
  }
  throw new ReferenceDataError(file, issue.path.length > 0 ? [fieldName(issue.path)] : [], reason)
}

function featureLabel(index: number, feature: unknown): string {
  const id = (feature as { properties?: { hotspot_id?: unknown } } | null)?.properties?.hotspot_id
  return typeof id === 'string' ? `features[${index}] (hotspot_id ${id})` : `features[${index}]`
}

/** A feature's own role in area_cells. */
export function areaRole(feature: RegisterFeature): 'hotspot' | 'control' {
  return feature.properties.role === 'control' ? 'control' : 'hotspot'
}

/** How far a feature's buffer reaches: `buffer_m`, 100 m by default, nothing for a control area. */
export function bufferMetres(feature: RegisterFeature): number {
  return areaRole(feature) === 'control' ? 0 : (feature.properties.buffer_m ?? DEFAULT_BUFFER_M)
}

/** The feature's polygons projected to British National Grid metres. */
export function gridPolygons(feature: RegisterFeature): GridPolygon[] {
  const { geometry } = feature
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates
  return polygons.map((rings) =>
    rings.map((points) =>
      points.map(([lon, lat]) => {
        const { easting, northing } = fromWgs84(lat as number, lon as number)
        return [easting, northing] as const
      }),
    ),
  )
}

export interface RasterisedArea {
  /** Cells whose centre is inside the area (holes excluded). */
  cells: CellSet
  /**
   * Cells outside the area whose centre is within `buffer_m` of its boundary: a ring around it (and the cells
   * of any hole). Never one of the area's own cells.
   */
  buffer: CellSet
}

export function rasteriseArea(feature: RegisterFeature): RasterisedArea {
  const polygons = gridPolygons(feature)
  const cells = cellsInside(polygons)
  const buffer = cellsNearEdges(polygons, bufferMetres(feature))
  for (const { x, y } of cells) buffer.delete(x, y)
  return { cells, buffer }
}

/** The area_cells table, written to `reference/area_cells/<register version>.parquet`. */
export const AREA_CELL_COLUMNS: Column[] = [
  { name: 'area_id', kind: 'string', required: true, description: 'hotspot_id of the register feature' },
  { name: 'role', kind: 'string', required: true, description: `one of ${AREA_ROLES.join(', ')}` },
  { name: 'cell_x', kind: 'int', required: true, description: `floor(easting / ${CELL_SIZE_M})` },
  { name: 'cell_y', kind: 'int', required: true, description: `floor(northing / ${CELL_SIZE_M})` },
  { name: 'valid_from', kind: 'date', required: false, description: "first day of the area's first phase" },
  {
    name: 'valid_to',
    kind: 'date',
    required: false,
    description: 'last day of its last phase; null while open',
  },
  { name: 'register_version', kind: 'string', required: true, description: 'version of the register loaded' },
]

/** One row per register area: what SQL needs of the register besides its cells. */
export const HOTSPOT_COLUMNS: Column[] = [
  { name: 'area_id', kind: 'string', required: true, description: 'hotspot_id of the register feature' },
  { name: 'role', kind: 'string', required: true, description: 'hotspot or control' },
  { name: 'name', kind: 'string', required: true, description: 'display name' },
  { name: 'borough', kind: 'string', required: false, description: 'borough or district' },
  { name: 'commander_id', kind: 'string', required: false, description: 'commander responsible (hotspots)' },
  {
    name: 'buffer_m',
    kind: 'int',
    required: true,
    description: 'buffer ring width in metres (0 for controls)',
  },
  ...PHASES.flatMap((phase): Column[] => [
    { name: `${phase}_from`, kind: 'date', required: false, description: `first day of the ${phase} phase` },
    {
      name: `${phase}_to`,
      kind: 'date',
      required: false,
      description: `last day of the ${phase} phase; null while open`,
    },
  ]),
  { name: 'register_version', kind: 'string', required: true, description: 'version of the register loaded' },
]

/** Writes one row per area (HOTSPOT_COLUMNS), in register order. */
export async function writeHotspots(register: Register, version: string, parquetFile: string): Promise<void> {
  const rows = register.features.map((feature) => {
    const { properties } = feature
    const row: Record<string, unknown> = {
      area_id: properties.hotspot_id,
      role: areaRole(feature),
      name: properties.name,
      borough: properties.borough,
      commander_id: properties.commander_id,
      buffer_m: bufferMetres(feature),
      register_version: version,
    }
    for (const { phase, from, to } of properties.phases ?? []) {
      row[`${phase}_from`] = parseDate(from)
      row[`${phase}_to`] = to === undefined ? undefined : parseDate(to)
    }
    return row
  })
  await writeParquetTable(parquetFile, HOTSPOT_COLUMNS, rows, { register_version: version })
}

export interface AreaCellCounts {
  hotspot: number
  buffer: number
  control: number
  /** Cells with rows for more than one area (a buffer reaching into another area, or areas overlapping). */
  sharedCells: number
}

/**
 * Writes every area's cells, in register order. When the buffer of one hotspot reaches into another hotspot
 * (or a control area), both rows are kept: the cell is `hotspot` for one area and `buffer` for the other, and
 * the queries decide (displacement, for example, excludes buffer cells that belong to another hotspot).
 */
export async function writeAreaCells(
  register: Register,
  version: string,
  file: string,
  parquetFile: string,
): Promise<AreaCellCounts> {
  const counts: AreaCellCounts = { hotspot: 0, buffer: 0, control: 0, sharedCells: 0 }
  const areasPerCell = new Map<string, number>()
  function* rows(): Generator<Record<string, unknown>> {
    for (const [index, feature] of register.features.entries()) {
      const { cells, buffer } = rasteriseArea(feature)
      if (cells.size === 0) {
        throw new ReferenceDataError(
          file,
          [featureLabel(index, feature), 'geometry'],
          `contains no ${CELL_SIZE_M} m grid cell centre; draw the area larger`,
        )
      }
      const phases = feature.properties.phases ?? []
      const firstDay = phases[0]?.from
      const lastDay = phases.at(-1)?.to
      const validity = {
        valid_from: firstDay === undefined ? null : parseDate(firstDay),
        valid_to: lastDay === undefined ? null : parseDate(lastDay),
      }
      for (const [role, set] of [
        [areaRole(feature), cells],
        ['buffer', buffer],
      ] as [AreaRole, CellSet][]) {
        for (const { x, y } of set) {
          yield {
            area_id: feature.properties.hotspot_id,
            role,
            cell_x: x,
            cell_y: y,
            ...validity,
            register_version: version,
          }
          const cell = `${x},${y}`
          areasPerCell.set(cell, (areasPerCell.get(cell) ?? 0) + 1)
        }
        counts[role] += set.size
      }
    }
  }
  await writeParquetTable(parquetFile, AREA_CELL_COLUMNS, rows(), { register_version: version })
  for (const areas of areasPerCell.values()) if (areas > 1) counts.sharedCells++
  return counts
}

/**
 * Loads a hotspot register: the file as given at `reference/register/<version>.geojson` and its cells at
 * `reference/area_cells/<version>.parquet`, where the version is the first 16 hex digits of the file's sha256.
 */
export function loadRegister(
  store: ObjectStore,
  file: string,
  clock: Clock = systemClock,
): Promise<ReferenceLoadResult> {
  return loadOnce({
    store,
    clock,
    kind: 'register',
    file,
    prepare: async ({ bytes, text, version, workDir }) => {
      const register = parseRegister(text, file)
      const parquetFile = path.join(workDir, 'area_cells.parquet')
      const counts = await writeAreaCells(register, version, file, parquetFile)
      const hotspotsFile = path.join(workDir, 'hotspots.parquet')
      await writeHotspots(register, version, hotspotsFile)
      const controls = register.features.filter((feature) => areaRole(feature) === 'control').length
      return {
        schemaVersion: REGISTER_VERSION,
        objects: [
          {
            key: referenceKey('register', version, 'geojson'),
            body: bytes,
            contentType: 'application/geo+json',
          },
          {
            key: referenceKey('area_cells', version, 'parquet'),
            body: { file: parquetFile },
            contentType: 'application/vnd.apache.parquet',
          },
          {
            key: referenceKey('hotspots', version, 'parquet'),
            body: { file: hotspotsFile },
            contentType: 'application/vnd.apache.parquet',
          },
        ],
        summary: {
          register_version: version,
          hotspots: register.features.length - controls,
          controls,
          hotspot_cells: counts.hotspot,
          buffer_cells: counts.buffer,
          control_cells: counts.control,
          shared_cells: counts.sharedCells,
        },
      }
    },
  })
}

/** A loaded register, read back from the lake (e.g. to check recipients against it). */
export async function readRegister(store: ObjectStore, version: string): Promise<Register> {
  const key = referenceKey('register', version, 'geojson')
  return parseRegister(decodeUtf8(await store.getBytes(key), key), key)
}
