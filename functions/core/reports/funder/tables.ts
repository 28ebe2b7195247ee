/**
 * What the funder report's tables are made of (DESIGN section 8): its input, the month's mart rows by key, and a
 * table as printed: a disclosure-controlled table (disclosure.ts, DESIGN section 7) with the columns shown. No
 * figure is printed from a mart row directly: every cell a reader sees comes from a disclosed cell here.
 */
import { formatMonth } from '../document/format.ts'
import type { Cell } from '../document/model.ts'
import type { InlineImage, MartRow, Period, Recipient } from '../model.ts'
import {
  type CellRef,
  cellOf,
  type DisclosedCell,
  type DisclosedRow,
  type DisclosedTable,
  type DisclosureCell,
} from './disclosure.ts'

export interface FunderReportInput {
  funder: Recipient
  period: Period
  /** The force's name, as it should read in the subject and the report. */
  force: string
  rows: {
    funder_monthly: MartRow[]
    patrol_effect: MartRow[]
    displacement: MartRow[]
    victim_satisfaction_monthly: MartRow[]
    stop_search_monthly: MartRow[]
    arrests_weekly?: MartRow[]
    dose_response: MartRow[]
  }
  /** PNG charts shown in the body (as `cid:` images), in this order, after the summary. */
  images?: InlineImage[]
  /** Hotspot names by id (from the register) for the by-hotspot table; the id is shown without one. */
  hotspotNames?: Record<string, string>
}

export class FunderReportError extends Error {
  override name = 'FunderReportError'
}

/** A table as the report prints it: the disclosed table, and the columns shown (a column may join two cells). */
export interface TableView {
  /** Stable id, the CSV's `table` column. */
  id: string
  caption: string
  /** The heading of the row labels' column. */
  rowHeader: string
  table: DisclosedTable
  columns: ColumnView[]
}

export interface ColumnView {
  header: string
  /** The cell of a row in this column; undefined when the row has none. */
  render: (row: DisclosedRow) => Cell | undefined
}

export const num = (row: MartRow | undefined, column: string): number | null => {
  const value = row?.[column]
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

export const str = (row: MartRow | undefined, column: string): string | null => {
  const value = row?.[column]
  return typeof value === 'string' ? value : null
}

export const count = (column: string, value: number | null): DisclosureCell => ({
  column,
  kind: 'count',
  value,
})

/** A rate or percentage from a funder_monthly row, which carries its value, numerator and denominator. */
export const fractionOf = (
  column: string,
  kind: 'rate' | 'percent',
  row: MartRow | undefined,
  basis: (string | CellRef)[],
): DisclosureCell => ({
  column,
  kind,
  value: num(row, 'value'),
  numerator: num(row, 'numerator'),
  denominator: num(row, 'denominator'),
  basis,
})

/**
 * The change columns of a count row whose month and last-year counts are in columns month and last_year: the %
 * change, and the DESIGN 7 change flag funder_monthly gives the month's row (its flag column).
 */
export function changeCells(
  current: number | null,
  comparison: number | null,
  flag: string | null,
): DisclosureCell[] {
  const pct =
    current === null || comparison === null || comparison === 0
      ? null
      : (100 * (current - comparison)) / comparison
  const basis = ['month', 'last_year']
  return [
    { column: 'change_pct', kind: 'statistic', value: pct, decimals: 1, suffix: '%', basis },
    { column: 'flag', kind: 'text', value: null, text: flag, basis },
  ]
}

/** A disclosed cell as printed: its figure, or what stands in for it ('<10', 'withheld', 'n/a'). */
export function shown(cell: DisclosedCell): Cell {
  if (cell.status !== 'shown') return { type: 'suppressed', text: cell.display, kind: cell.kind }
  return { type: cell.kind === 'text' ? 'text' : 'number', text: cell.display, kind: cell.kind }
}

export const has = (row: DisclosedRow, column: string) => row.cells.some((c) => c.column === column)

/** A column showing one cell. */
export const col = (header: string, name: string): ColumnView => ({
  header,
  render: (row) => (has(row, name) ? shown(cellOf(row, name)) : undefined),
})

/** The change column: the flag, with the % change beside it (never alone). */
export const changeColumn = (header: string): ColumnView => ({
  header,
  render: (row) => {
    if (!has(row, 'flag')) return undefined
    const flag = cellOf(row, 'flag')
    const pct = cellOf(row, 'change_pct')
    if (flag.status !== 'shown') return shown(flag)
    const text = pct.status === 'shown' ? `${flag.display} (${pct.display})` : flag.display
    return { type: 'text', text, kind: 'text' }
  },
})

/** A figure with its 95% interval: '63.6% (46.6% to 77.8%)'. */
export const withInterval = (row: DisclosedRow, value: string, low: string, high: string): Cell => {
  const v = cellOf(row, value)
  const lo = cellOf(row, low)
  const hi = cellOf(row, high)
  if (v.status !== 'shown' || lo.status !== 'shown' || hi.status !== 'shown') return shown(v)
  return { type: 'interval', value: v.display, low: lo.display, high: hi.display, kind: v.kind }
}

export function view(
  id: string,
  caption: string,
  rowHeader: string,
  table: DisclosedTable,
  columns: ColumnView[],
): TableView {
  return { id, caption, rowHeader, table, columns }
}

/** What the section builders share: the input, the month and its last-year twin, and funder_monthly by key. */
export interface Ctx {
  input: FunderReportInput
  period: Period
  /** The month's first day, as the marts' month column holds it. */
  month: string
  lastYearLabel: string
  /** A funder_monthly row: measure, breakdown ('all' or a hotspot id), month (this one unless given). */
  fm: (measure: string, breakdown?: string, at?: string) => MartRow | undefined
  /** The same row a year earlier, when the mart reaches back that far (else undefined: unknown, not zero). */
  ly: (measure: string, breakdown?: string) => MartRow | undefined
}

export function context(input: FunderReportInput): Ctx {
  const { period } = input
  const month = period.firstDay
  const [year, monthNumber] = period.id.split('-') as [string, string]
  const lastYearMonth = `${Number(year) - 1}-${monthNumber}-01`
  const byKey = new Map<string, MartRow>()
  for (const row of input.rows.funder_monthly) byKey.set(`${row.month}|${row.measure}|${row.breakdown}`, row)
  const fm = (measure: string, breakdown = 'all', at = month) => byKey.get(`${at}|${measure}|${breakdown}`)
  if (!fm('crime_count'))
    throw new FunderReportError(
      `funder_monthly has no figures for ${period.label}: run the marts as of ${period.lastDay} or later`,
    )
  // last year's figures are known when the mart knows last year's incidents (crime_count_last_year not null)
  const lastYearKnown = num(fm('crime_count_last_year'), 'value') !== null
  return {
    input,
    period,
    month,
    lastYearLabel: formatMonth(lastYearMonth),
    fm,
    ly: (measure, breakdown = 'all') => (lastYearKnown ? fm(measure, breakdown, lastYearMonth) : undefined),
  }
}
