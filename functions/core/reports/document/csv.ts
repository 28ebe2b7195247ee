/**
 * The CSV attachment: a document's data table as RFC 4180 CSV, every cell through the spreadsheet formula guard.
 */
import { stringify } from 'csv-stringify/sync'
import type { DataTable } from './model.ts'

/** What makes a spreadsheet read a cell as a formula (or a DDE payload): its first character. */
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One cell as CSV text, defused: a text cell that starts with = + - @ tab or CR gets a single quote in front, so
 * Excel, LibreOffice and Google Sheets show it as text instead of evaluating it ('=SUM(1)' becomes "'=SUM(1)").
 *
 * A finite JavaScript number is written as is, even when negative: its text (digits, one leading minus, a
 * decimal point, an exponent) is never a formula, and a spreadsheet must read -12.5 as a number. Every other
 * value is text first (null and undefined empty, a Date as ISO-8601, an object as JSON) and then checked, so
 * the string '-1+2' and a non-finite number ('-Infinity') are prefixed.
 */
export function safeCell(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  const text = cellText(value)
  return FORMULA_START.test(text) ? `'${text}` : text
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/**
 * Rows as RFC 4180 CSV (CRLF line ends, fields quoted when they hold a comma, a quote or a line break) with a
 * header row of `columns`, every cell (header included) through `safeCell`. Columns a row lacks are empty;
 * keys not in `columns` are not written.
 */
export function safeCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const records = [
    columns.map(safeCell),
    ...rows.map((row) => columns.map((column) => safeCell(row[column]))),
  ]
  return stringify(records, { record_delimiter: 'windows' })
}

/** A document's figures as the CSV attachment. */
export const documentCsv = (data: DataTable): string => safeCsv(data.rows, [...data.columns])
