import path from 'node:path'
import { lastDayOfMonth, parseDate } from '../time.ts'

/**
 * The drop date of a file (DESIGN section 10): `--drop-date`, else a `YYYY-MM-DD` in the file name, else
 * (monthly files such as data.police.uk's `2018-06-city-of-london-street.csv`) the last day of the month
 * named by a `YYYY-MM` in the file name.
 */
export function inferDropDate(file: string, explicit?: string): string {
  if (explicit !== undefined) {
    if (parseDate(explicit) === undefined)
      throw new Error(`--drop-date ${JSON.stringify(explicit)} is not a date (YYYY-MM-DD)`)
    return explicit
  }
  const name = path.basename(file)
  for (const match of name.matchAll(/(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)/g)) {
    if (parseDate(match[1] as string) !== undefined) return match[1] as string
  }
  const month = /(?<!\d)(\d{4})-(0[1-9]|1[0-2])(?!\d)(?!-\d)/.exec(name)
  if (month) return lastDayOfMonth(`${month[1]}-${month[2]}`)
  throw new Error(
    `cannot tell the drop date of ${name}: name it with YYYY-MM-DD (or YYYY-MM), or pass --drop-date`,
  )
}
