import { CsvError, parse } from 'csv-parse/sync'
import { ReferenceDataError } from './errors.ts'

/** A row of a reference CSV (weights, population) with where csv-parse had read to when it ended. */
export interface CsvRecord {
  record: string[]
  info: { lines: number }
}

/** The line a record starts on (a quoted field may span lines). */
export const lineOf = ({ record, info }: CsvRecord) => info.lines - record.join('').split('\n').length + 1

/**
 * A reference CSV's rows: BOM, `#` comment lines and blank lines left out, fields trimmed, rows of any width
 * (the caller names a short or long row by its line). A file csv-parse cannot read fails with its line.
 */
export function readReferenceCsv(text: string, file: string): CsvRecord[] {
  try {
    return parse(text, {
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      info: true,
    }) as unknown as CsvRecord[]
  } catch (error) {
    if (!(error instanceof CsvError)) throw error
    const line = (error as CsvError & { lines?: number }).lines
    throw new ReferenceDataError(
      file,
      line === undefined ? [] : [`line ${line}`],
      `malformed CSV: ${error.message}`,
    )
  }
}
