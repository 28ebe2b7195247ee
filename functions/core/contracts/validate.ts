import { z } from 'zod'
import { toGrid } from '../geo.ts'
import { formatDay } from '../time/days.ts'
import { londonDayNumber } from '../time/london.ts'
import { columnsOf } from './columns.ts'
import type { FeedContract } from './feeds.ts'

export type RawRow = Record<string, string | number | boolean | null | undefined>
export type Row = Record<string, string | number | boolean | undefined>

export interface RowIssue {
  column: string
  /** What is wrong, showing the value where that helps the sender. */
  reason: string
  /** The same without the value: all a drop that may carry personal data is told (DESIGN section 4). */
  rule: string
}

export type Validation = { ok: true; row: Row } | { ok: false; issues: RowIssue[] }

export interface ValidationContext {
  /** Timestamps later than this (epoch ms) are refused: now + 24 h at ingest. */
  notAfterMs: number
  /**
   * The drop date (days since 1970-01-01): a row whose `notAfterDropDate` column falls on a later London day is
   * refused (FeedContract.notAfterDropDate). Undefined outside an ingest (a generator checking its own rows).
   */
  dropDay?: number
}

export const FUTURE_TOLERANCE_MS = 24 * 3_600_000

interface ContractPlan {
  /**
   * zod's ahead-of-time compiled parser of the contract's schema: generated code accepts a valid row without
   * zod's per-field payloads (about half the cost of `safeParse`), and hands any row it does not accept back
   * to the schema's own parser, so every issue and message is zod's.
   */
  schema: z.ZodObject
  timestampColumns: string[]
}

const plans = new WeakMap<FeedContract, ContractPlan>()

function planOf(contract: FeedContract): ContractPlan {
  let plan = plans.get(contract)
  if (!plan) {
    plan = {
      schema: z.compile(contract.schema),
      timestampColumns: columnsOf(contract.schema)
        .filter((c) => c.kind === 'timestamp')
        .map((c) => c.name),
    }
    plans.set(contract, plan)
  }
  return plan
}

/**
 * Validates one raw row (CSV strings or JSON values; empty string = absent) against its feed contract and
 * normalises it: timestamps to UTC epoch ms, dates to day numbers, coordinates to both WGS84 and BNG.
 */
export function validateRow(contract: FeedContract, raw: RawRow, context: ValidationContext): Validation {
  const input: Record<string, unknown> = {}
  for (const name in raw) {
    const value = raw[name]
    input[name] = value === '' || value === null ? undefined : value
  }
  const plan = planOf(contract)
  const parsed = plan.schema.safeParse(input)
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => {
        const column = String(issue.path[0] ?? '')
        // zod does not report the input on its issues: an absent value is known from the row itself
        if (input[column] === undefined) {
          return { column, reason: 'required value is missing', rule: 'required value is missing' }
        }
        // the column helpers' own refusals carry their rule; zod's (a length cap, a pattern) never show the value
        const rule = (issue as { params?: { rule?: string } }).params?.rule ?? issue.message
        return { column, reason: issue.message, rule }
      }),
    }
  }
  const row = parsed.data as Row
  for (const name of plan.timestampColumns) {
    const value = row[name] as number | undefined
    if (value !== undefined && value > context.notAfterMs) {
      return {
        ok: false,
        issues: [
          {
            column: name,
            reason: `${new Date(value).toISOString()} is more than 24 h in the future`,
            rule: 'is more than 24 h in the future',
          },
        ],
      }
    }
  }
  const late = afterDropDate(contract, row, context)
  if (late) return { ok: false, issues: [late] }
  // a location's reason may show coordinates (no feed with redactRefusals has a location); a cross-field rule
  // names columns, never values
  const issue = normaliseLocation(contract, row) ?? contract.rules?.(row as never)
  if (issue) return { ok: false, issues: [{ ...issue, rule: issue.reason }] }
  return { ok: true, row }
}

function afterDropDate(contract: FeedContract, row: Row, context: ValidationContext): RowIssue | undefined {
  const column = contract.notAfterDropDate
  const value = column === undefined ? undefined : (row[column] as number | undefined)
  if (value === undefined || context.dropDay === undefined) return undefined
  const day = londonDayNumber(value)
  if (day <= context.dropDay) return undefined
  const why = "a day's drop holds rows of that day or earlier: send it in the drop of its own day"
  return {
    column: column as string,
    reason: `${formatDay(day)} (London) is after the drop date ${formatDay(context.dropDay)}: ${why}`,
    rule: `is on a London day after the drop date: ${why}`,
  }
}

function normaliseLocation(contract: FeedContract, row: Row): Omit<RowIssue, 'rule'> | undefined {
  if (contract.location === 'none') return undefined
  const { lat, lon, easting, northing } = row as Record<string, number | undefined>
  const hasLatLon = lat !== undefined || lon !== undefined
  const hasGrid = easting !== undefined || northing !== undefined
  if (hasLatLon && (lat === undefined || lon === undefined)) {
    return { column: lat === undefined ? 'lat' : 'lon', reason: 'lat and lon must be given together' }
  }
  if (hasGrid && (easting === undefined || northing === undefined)) {
    return {
      column: easting === undefined ? 'easting' : 'northing',
      reason: 'easting and northing must be given together',
    }
  }
  if (hasLatLon && lat === 0 && lon === 0) return { column: 'lat', reason: 'coordinates 0,0 (null island)' }
  if (hasGrid && easting === 0 && northing === 0) return { column: 'easting', reason: 'coordinates 0,0' }
  if (!hasLatLon && !hasGrid) {
    if (contract.location === 'required')
      return { column: 'lat', reason: 'location is required (lat/lon or easting/northing)' }
    if (contract.location === 'required-unless-no-location' && row.location_description !== 'No Location') {
      return {
        column: 'lat',
        reason:
          "location is required (lat/lon or easting/northing) unless location_description is 'No Location'",
      }
    }
    if (contract.location === 'coordinates-or-hotspot' && row.hotspot_id === undefined) {
      return { column: 'hotspot_id', reason: 'either coordinates or hotspot_id is required' }
    }
    return undefined
  }
  const placed = toGrid({ lat, lon, easting, northing })
  if (!placed.ok) return { column: hasGrid ? 'easting' : 'lat', reason: placed.reason }
  row.lat = placed.lat
  row.lon = placed.lon
  row.easting = placed.easting
  row.northing = placed.northing
  return undefined
}
