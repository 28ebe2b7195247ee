import { FEED_NAMES } from '../core/contracts/feeds.ts'
import {
  DEFAULT_END_DATE,
  type GenerateSummary,
  generateCity,
  SCALES,
  type Scale,
} from '../core/generate/generate.ts'
import { formatNumber } from '../core/reports/document/format.ts'

export interface GenerateCommandOptions {
  /** `demo` or `london`. */
  scale: string
  /** Whole years of data; default 2 for demo, 5 for london. Text as given on the command line, or a number. */
  years?: string | number
  /** Default 1. */
  seed?: string | number
  out: string
  /** Last day of data (moved back to the Sunday on or before it); default 2026-11-15. */
  endDate?: string
  /** Days of GPS pings at the end of the period (0: none); default 28. */
  pingDays?: string | number
  /** Replace an earlier generation in `out`. */
  force?: boolean
  /** Progress lines (e.g. process.stderr on a TTY); none when undefined. */
  progress?: NodeJS.WritableStream
}

function wholeNumber(name: string, value: string | number): number {
  const text = String(value).trim()
  if (!/^\d+$/.test(text))
    throw new Error(`--${name} must be a whole number, not ${JSON.stringify(String(value))}`)
  return Number(text)
}

/** `hotspot generate`: checks the options, writes the city and returns its summary. */
export async function runGenerateCommand(options: GenerateCommandOptions): Promise<GenerateSummary> {
  if (!(options.scale in SCALES)) {
    throw new Error(
      `--scale must be one of ${Object.keys(SCALES).join(', ')}, not ${JSON.stringify(options.scale)}`,
    )
  }
  const scale = options.scale as Scale
  const years = wholeNumber('years', options.years ?? SCALES[scale].defaultYears)
  const seed = wholeNumber('seed', options.seed ?? 1)
  const { progress } = options
  let lastWeek = -1
  const summary = await generateCity({
    scale,
    years,
    seed,
    out: options.out,
    endDate: options.endDate ?? DEFAULT_END_DATE,
    overwrite: options.force ?? false,
    pingDays: options.pingDays === undefined ? undefined : wholeNumber('ping-days', options.pingDays),
    onProgress: progress
      ? ({ day, days, date, rows }) => {
          const week = Math.floor(day / 7)
          if (week === lastWeek && day !== days) return
          lastWeek = week
          progress.write(`\rgenerate: ${date} (day ${day} of ${days}), ${formatNumber(rows)} rows`)
          if (day === days) progress.write('\n')
        }
      : undefined,
  })
  return summary
}

/** One line for the terminal: where, what period, how many rows per feed, how long. */
export function describeGenerateSummary(summary: GenerateSummary): string {
  const rows = FEED_NAMES.map((feed) => `${feed} ${formatNumber(summary.rows[feed])}`).join(', ')
  return (
    `generated ${summary.scale} city (seed ${summary.seed}) in ${summary.out}: ` +
    `${summary.start_date} to ${summary.end_date} (${summary.days} days), ${formatNumber(summary.files)} files, ` +
    `${formatNumber(summary.bytes / 1_048_576, 1)} MiB; rows: ${rows}; ${formatNumber(summary.elapsed_ms / 1000, 1)} s`
  )
}
