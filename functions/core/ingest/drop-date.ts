import path from 'node:path'
import { EARLIEST_MS } from '../contracts/columns.ts'
import { DAY_MS, formatDay, isDay, lastDayOfMonth, parseDate } from '../time/days.ts'
import { londonDayOf } from '../time/london.ts'
import { FileRejectedError } from './formats.ts'

/**
 * The drop date of a file (DESIGN section 10): `--drop-date`, else a `YYYY-MM-DD` in the file name, else
 * (monthly files such as data.police.uk's `2018-06-city-of-london-street.csv`) the last day of the month
 * named by a `YYYY-MM` in the file name.
 */
export function inferDropDate(file: string, explicit?: string): string {
  if (explicit !== undefined) {
    if (!isDay(explicit))
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

/** The first day the lake holds, as the contracts refuse timestamps before it (and Glue projections start). */
const EARLIEST_DROP_DATE = formatDay(EARLIEST_MS / DAY_MS)

/**
 * Why a drop date (`YYYY-MM-DD`) is refused at `now`, or undefined when it is accepted. The latest is tomorrow
 * in London (DESIGN section 4): a record's current version is its row from the drop with the latest date, so a
 * mistyped future date would hide every correction delivered until that day.
 */
export function dropDateRefusal(dropDate: string, now: Date): string | undefined {
  const latest = formatDay((parseDate(londonDayOf(now)) as number) + 1)
  if (dropDate > latest) {
    return (
      `drop date ${dropDate} is after ${latest}, tomorrow in London, the latest accepted: ` +
      'a mistyped date would hide every later correction'
    )
  }
  if (dropDate < EARLIEST_DROP_DATE) {
    return `drop date ${dropDate} is before ${EARLIEST_DROP_DATE}, the earliest accepted`
  }
  return undefined
}

/** A whole drop refused for its date (`dropDateRefusal`), whatever its content. */
export class DropDateRefusedError extends FileRejectedError {
  override name = 'DropDateRefusedError'
}
