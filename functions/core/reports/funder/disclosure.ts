/**
 * Statistical disclosure control for anything that leaves the force (DESIGN section 7): the funder report's body,
 * its text alternative and its attachments all print from a `DisclosedTable`, never from mart rows.
 *
 * Rules, in the order they are applied:
 * 1. Primary suppression: a count of 1 to 9 is shown as '<10'. 0 and 10 or more are shown as they are.
 * 2. Secondary suppression, in every line (a row with a total column, a column with a total row): when exactly
 *    one cell of the line (its total included) is suppressed, the next smallest count of the line is suppressed
 *    too and shown as 'withheld', so that the small one cannot be worked out by subtracting the others from the
 *    total. The next smallest is the smallest count above 0 not yet suppressed (a withheld 0 would protect
 *    nothing: the reader knows a withheld cell is not 1 to 9, so a withheld cell beside a '<10' that adds up to
 *    under 10 must be 0); the total itself only when no other cell qualifies. A total of 1 to 9 is '<10' by
 *    rule 1. Suppressing in one line can leave another line with a single suppressed cell, so this repeats,
 *    across rows and down columns, until nothing changes.
 *    One step past the letter of DESIGN, in its spirit ("cannot be recovered by subtraction"): a line with two or
 *    more suppressed cells whose shown total and shown cells still pin a '<10' to one value (two '<10' beside
 *    the other cells adding up to 2 must both be 1; two adding up to 18 must both be 9; a '<10' and a 'withheld'
 *    adding up to 11 must be 1 and 10) counts as not protected yet, and loses its next smallest count as well.
 *    A count over a group (the crimes on a band's hotspot-days) names the group's size in its `basis`, and is
 *    withheld with it when the size is suppressed: a group too small to publish is withheld as a whole. Such a
 *    count is a suppressed cell of its lines like any other, so they lose their next smallest count too.
 * 3. Derived figures: a rate, percentage, harm total (CCHI days), minutes, statistic or flag is 'withheld' when
 *    any count it is made from is suppressed: its numerator or denominator is 1 to 9, one of its `counts` is 1
 *    to 9, or one of its `basis` cells is suppressed (by rule 1, 2 or, for a basis that is itself derived, 3).
 *    Harm is treated like a rate (decision): a harm total of few incidents is a handful of known crime-type
 *    weights, so it can give their number (and types) away. Every figure that is not a count must say which
 *    counts it comes from, or the table is refused.
 * 4. Nothing finer than a hotspot: the tables given here are built by the reports from hotspot-level (or
 *    coarser) marts; this module does not know about places, so that rule lives with the callers.
 *
 * Limits: rule 2 protects each line on its own; a reader combining a row and a column equation could in
 * principle narrow a value further (full protection needs linear programming, as tau-Argus does). A total that
 * is not an exact sum (an event in two overlapping hotspots counts once in 'all') is treated as a total anyway,
 * which only makes the result more cautious.
 */
import { formatNumber, percentOfShare, roundHalfAwayFromZero } from '../document/format.ts'

export type CellKind = 'count' | 'rate' | 'percent' | 'days' | 'minutes' | 'statistic' | 'text'

/** A cell of the same table: the row's key (its label unless given) and the column. */
export interface CellRef {
  row: string
  column: string
}

export interface DisclosureCell {
  column: string
  /**
   * count: events or people, disclosure-controlled itself. rate: a fraction, shown as a percentage. percent:
   * already a percentage. days: CCHI harm days. minutes: patrol time. statistic: any other figure computed from
   * counts (an effect, a mean, a WDQ). text: words computed from counts (a change flag).
   */
  kind: CellKind
  /** The figure; null when there is none (shown as `empty`). Unused for kind text. */
  value: number | null
  /** Kind text: the words. */
  text?: string | null
  /** Rate and percent (required): the counts it divides. */
  numerator?: number | null
  denominator?: number | null
  /** Other counts the figure is made from (harm: its incident count). */
  counts?: (number | null)[]
  /**
   * Cells of this table it is made from: a column of the same row, or any cell. A count's basis: the counts of
   * the group it is counted over (it is withheld with them, rule 2).
   */
  basis?: (string | CellRef)[]
  /** Decimal places shown: count, days and minutes 0, rate and percent 1, statistic 2. */
  decimals?: number
  /** After a shown number (statistic): e.g. '%'. Rate and percent get '%' anyway. */
  suffix?: string
  /** The unit written to CSV; by default from the kind (and '%' suffix). */
  unit?: string
  /** Shown when there is no figure; 'n/a' unless given. */
  empty?: string
}

export interface DisclosureRow {
  /** Stable key (for CSV and references); the label unless given. */
  key?: string
  label: string
  cells: DisclosureCell[]
}

export interface DisclosureTable {
  rows: DisclosureRow[]
  /** The column that holds, in every row, the total of the row's other count cells. */
  rowTotal?: string
  /** The key of the row that holds, in every count column, the total of the other rows. */
  columnTotal?: string
}

/**
 * shown: the figure. missing: there is no figure (nothing to protect). under10: a count of 1 to 9 ('<10').
 * secondary: a count withheld so that a '<10' cannot be worked out. withheld: a derived figure withheld with
 * the count it comes from, or a count withheld with its group.
 */
export type CellStatus = 'shown' | 'missing' | 'under10' | 'secondary' | 'withheld'

export interface DisclosedCell {
  column: string
  kind: CellKind
  status: CellStatus
  suppressed: boolean
  /** The figure as shown, rounded to its decimals (a rate in percent); null unless shown. */
  value: number | null
  /** For people: '1,088', '25.8%', '<10', 'withheld', 'n/a', or a flag's words. */
  display: string
  /** For a CSV cell: the rounded number when shown (no thousands separators, no '%'), else the marker text. */
  csv: number | string
  unit: string
}

export interface DisclosedRow {
  key: string
  label: string
  cells: DisclosedCell[]
}

export interface DisclosedTable {
  rows: DisclosedRow[]
}

export const UNDER_10 = '<10'
export const WITHHELD = 'withheld'
export const NOT_AVAILABLE = 'n/a'

/** What the markers mean, for a report's notes. */
export const DISCLOSURE_NOTES = {
  [UNDER_10]: 'a count above 0 and under 10 (a count of 0 is shown as 0)',
  [WITHHELD]:
    'not shown so that a count under 10 cannot be worked out from a total, or a rate, percentage or harm figure made from a count under 10',
  [NOT_AVAILABLE]: 'no figure (no data for the period, or nothing to divide by)',
} as const

export class DisclosureError extends Error {
  override name = 'DisclosureError'
}

/** A count that rule 1 suppresses: at least 1 and under 10. */
export function isSmallCount(n: number | null | undefined): boolean {
  return typeof n === 'number' && n > 0 && n < 10
}

interface Slot {
  row: DisclosureRow
  rowKey: string
  cell: DisclosureCell
  status?: CellStatus
}

interface Line {
  parts: Slot[]
  total: Slot
}

const DERIVED_NEEDS_FRACTION: ReadonlySet<CellKind> = new Set(['rate', 'percent'])

/** Applies rules 1 to 3 to a table; see the module comment. Pure: the input is not changed. */
export function discloseTable(table: DisclosureTable): DisclosedTable {
  const slots = new Map<string, Slot>()
  const slotKey = (row: string, column: string) => JSON.stringify([row, column])
  const rowKeys = new Set<string>()
  for (const row of table.rows) {
    const rowKey = row.key ?? row.label
    if (rowKeys.has(rowKey)) throw new DisclosureError(`two rows have the key ${JSON.stringify(rowKey)}`)
    rowKeys.add(rowKey)
    for (const cell of row.cells) {
      const key = slotKey(rowKey, cell.column)
      if (slots.has(key))
        throw new DisclosureError(`row ${JSON.stringify(rowKey)} has two ${cell.column} cells`)
      validate(rowKey, cell)
      slots.set(key, { row, rowKey, cell })
    }
  }
  if (table.columnTotal !== undefined && !rowKeys.has(table.columnTotal))
    throw new DisclosureError(`the total row ${JSON.stringify(table.columnTotal)} is not in the table`)

  // rule 1
  for (const slot of slots.values()) {
    if (slot.cell.kind === 'count' && isSmallCount(slot.cell.value)) slot.status = 'under10'
  }

  // rule 2
  const lines = totalLines(table, slots, slotKey)
  const target = (slot: Slot, ref: string | CellRef) =>
    typeof ref === 'string' ? slots.get(slotKey(slot.rowKey, ref)) : slots.get(slotKey(ref.row, ref.column))
  const groupCounts = [...slots.values()].filter((s) => s.cell.kind === 'count' && s.cell.basis?.length)
  for (const slot of groupCounts) {
    for (const ref of slot.cell.basis ?? []) {
      if (target(slot, ref)?.cell.kind !== 'count')
        throw new DisclosureError(
          `count ${describe(slot)} is over ${JSON.stringify(ref)}: not a count of the table`,
        )
    }
  }
  for (let changed = true; changed; ) {
    changed = false
    for (const slot of groupCounts) {
      if (isSuppressed(slot.status) || slot.cell.value === null) continue
      if ((slot.cell.basis ?? []).some((ref) => isSuppressed(target(slot, ref)?.status))) {
        slot.status = 'withheld'
        changed = true
      }
    }
    for (const line of lines) {
      if (!needsMore(line)) continue
      const next = nextSmallest(line)
      if (next) {
        next.status = 'secondary'
        changed = true
      }
    }
  }

  // rule 3
  const resolving = new Set<Slot>()
  const resolve = (slot: Slot): CellStatus => {
    if (!slot.status) slot.status = derive(slot)
    return slot.status
  }
  const derive = (slot: Slot): CellStatus => {
    const { cell } = slot
    if (cell.kind === 'count') return cell.value === null ? 'missing' : 'shown'
    const hasFigure =
      cell.kind === 'text' ? cell.text !== null && cell.text !== undefined : cell.value !== null
    if (!hasFigure) return 'missing'
    if (resolving.has(slot)) throw new DisclosureError(`${describe(slot)} is derived from itself`)
    resolving.add(slot)
    const fromSmall = [cell.numerator, cell.denominator, ...(cell.counts ?? [])].some(isSmallCount)
    const fromSuppressed = (cell.basis ?? []).some((ref) => {
      const from = target(slot, ref)
      if (!from)
        throw new DisclosureError(`${describe(slot)} is derived from ${JSON.stringify(ref)}: no such cell`)
      return isSuppressed(resolve(from))
    })
    resolving.delete(slot)
    return fromSmall || fromSuppressed ? 'withheld' : 'shown'
  }

  return {
    rows: table.rows.map((row) => {
      const rowKey = row.key ?? row.label
      return {
        key: rowKey,
        label: row.label,
        cells: row.cells.map((cell) => {
          const slot = slots.get(slotKey(rowKey, cell.column)) as Slot
          return present(cell, resolve(slot))
        }),
      }
    }),
  }
}

function validate(rowKey: string, cell: DisclosureCell): void {
  const where = `${JSON.stringify(rowKey)} / ${cell.column}`
  if (cell.kind === 'count') {
    if (cell.value !== null && (!Number.isFinite(cell.value) || cell.value < 0))
      throw new DisclosureError(`count ${where} is ${cell.value}: a count is finite and not negative`)
    return
  }
  if (
    DERIVED_NEEDS_FRACTION.has(cell.kind) &&
    (cell.numerator === undefined || cell.denominator === undefined)
  )
    throw new DisclosureError(`${cell.kind} ${where} must carry its numerator and denominator counts`)
  const provenance =
    cell.numerator !== undefined ||
    cell.denominator !== undefined ||
    (cell.counts?.length ?? 0) > 0 ||
    (cell.basis?.length ?? 0) > 0
  if (!provenance)
    throw new DisclosureError(`${cell.kind} ${where} does not say which counts it is made from`)
  if (cell.value !== null && !Number.isFinite(cell.value))
    throw new DisclosureError(`${where} is ${cell.value}: not a finite number`)
}

function describe(slot: Slot): string {
  return `${JSON.stringify(slot.rowKey)} / ${slot.cell.column}`
}

function totalLines(
  table: DisclosureTable,
  slots: Map<string, Slot>,
  slotKey: (row: string, column: string) => string,
): Line[] {
  const lines: Line[] = []
  const counts = (row: DisclosureRow) => row.cells.filter((c) => c.kind === 'count')
  if (table.rowTotal !== undefined) {
    for (const row of table.rows) {
      const rowKey = row.key ?? row.label
      const total = slots.get(slotKey(rowKey, table.rowTotal))
      if (total?.cell.kind !== 'count') continue
      const parts = counts(row)
        .filter((c) => c.column !== table.rowTotal)
        .map((c) => slots.get(slotKey(rowKey, c.column)) as Slot)
      lines.push({ parts, total })
    }
  }
  if (table.columnTotal !== undefined) {
    const totalRow = table.rows.find((r) => (r.key ?? r.label) === table.columnTotal) as DisclosureRow
    for (const cell of counts(totalRow)) {
      const total = slots.get(slotKey(table.columnTotal, cell.column)) as Slot
      const parts: Slot[] = []
      for (const row of table.rows) {
        const rowKey = row.key ?? row.label
        if (rowKey === table.columnTotal) continue
        const part = slots.get(slotKey(rowKey, cell.column))
        if (part && part.cell.kind === 'count') parts.push(part)
      }
      lines.push({ parts, total })
    }
  }
  return lines
}

const isSuppressed = (status: CellStatus | undefined) =>
  status === 'under10' || status === 'secondary' || status === 'withheld'

function needsMore(line: Line): boolean {
  const members = [...line.parts, line.total]
  const suppressed = members.filter((s) => isSuppressed(s.status))
  if (suppressed.length === 0) return false
  if (suppressed.length === 1) return true
  return pinned(line)
}

/**
 * Whether the shown total and shown cells of a line fix the value of one of its '<10' cells: with the sum S of
 * the suppressed cells known, a '<10' lies in [1, 9], a count withheld by secondary suppression in [10,
 * infinity) and one withheld with its group in {0} and [10, infinity), and a cell is pinned when the others'
 * bounds leave it one value.
 */
function pinned(line: Line): boolean {
  if (isSuppressed(line.total.status) || line.total.cell.value === null) return false
  let sum = line.total.cell.value
  const hidden: Slot[] = []
  for (const part of line.parts) {
    if (isSuppressed(part.status)) hidden.push(part)
    else if (part.cell.value === null)
      return false // an unknown cell: no equation
    else sum -= part.cell.value
  }
  // withheld with its group: any count not 1 to 9 (rule 1 came first), 0 included
  const lo = (s: Slot) => (s.status === 'under10' ? 1 : s.status === 'secondary' ? 10 : 0)
  const hi = (s: Slot) => (s.status === 'under10' ? 9 : Number.POSITIVE_INFINITY)
  return hidden.some((cell) => {
    if (cell.status !== 'under10') return false
    const others = hidden.filter((o) => o !== cell)
    const lower = Math.max(1, sum - others.reduce((a, o) => a + hi(o), 0))
    const upper = Math.min(9, sum - others.reduce((a, o) => a + lo(o), 0))
    return lower === upper
  })
}

function nextSmallest(line: Line): Slot | undefined {
  let best: Slot | undefined
  for (const part of line.parts) {
    if (isSuppressed(part.status) || part.cell.value === null || part.cell.value <= 0) continue
    if (!best || part.cell.value < (best.cell.value as number)) best = part
  }
  if (best) return best
  const { total } = line
  return !isSuppressed(total.status) && total.cell.value !== null && total.cell.value > 0 ? total : undefined
}

const DEFAULT_DECIMALS: Record<CellKind, number> = {
  count: 0,
  rate: 1,
  percent: 1,
  days: 0,
  minutes: 0,
  statistic: 2,
  text: 0,
}

function unitOf(cell: DisclosureCell): string {
  if (cell.unit) return cell.unit
  switch (cell.kind) {
    case 'rate':
    case 'percent':
      return 'percent'
    case 'statistic':
      return cell.suffix === '%' ? 'percent' : 'number'
    default:
      return cell.kind
  }
}

function present(cell: DisclosureCell, status: CellStatus): DisclosedCell {
  const base = { column: cell.column, kind: cell.kind, status, unit: unitOf(cell) }
  switch (status) {
    case 'under10':
      return { ...base, suppressed: true, value: null, display: UNDER_10, csv: UNDER_10 }
    case 'secondary':
    case 'withheld':
      return { ...base, suppressed: true, value: null, display: WITHHELD, csv: WITHHELD }
    case 'missing': {
      const empty = cell.empty ?? NOT_AVAILABLE
      return { ...base, suppressed: false, value: null, display: empty, csv: '' }
    }
    case 'shown': {
      if (cell.kind === 'text') {
        const text = cell.text as string
        return { ...base, suppressed: false, value: null, display: text, csv: text }
      }
      const decimals = cell.decimals ?? DEFAULT_DECIMALS[cell.kind]
      const suffix = cell.kind === 'rate' || cell.kind === 'percent' ? '%' : (cell.suffix ?? '')
      const value =
        cell.kind === 'rate'
          ? percentOfShare(cell.value as number, decimals)
          : roundHalfAwayFromZero(cell.value as number, decimals)
      return {
        ...base,
        suppressed: false,
        value,
        display: `${formatNumber(value, decimals)}${suffix}`,
        csv: value,
      }
    }
  }
}

/** The cell of a disclosed row for a column (throws when the row has none: a report asking for a cell it did not build is a bug). */
export function cellOf(row: DisclosedRow, column: string): DisclosedCell {
  const cell = row.cells.find((c) => c.column === column)
  if (!cell) throw new DisclosureError(`row ${JSON.stringify(row.key)} has no ${column} cell`)
  return cell
}

/** A row of a disclosed table by key. */
export function rowOf(table: DisclosedTable, key: string): DisclosedRow {
  const row = table.rows.find((r) => r.key === key)
  if (!row) throw new DisclosureError(`no row ${JSON.stringify(key)}`)
  return row
}
