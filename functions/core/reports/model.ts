/**
 * What the report parts exchange: rows read from the marts, the period a report covers, and the email a report
 * renders to before it is composed into MIME and delivered.
 */

/** A result row of a mart: dates as YYYY-MM-DD, timestamps as ISO-8601, numbers, booleans, text or null. */
export type MartRow = Record<string, string | number | boolean | null>

export type ReportKind = 'weekly' | 'monthly'

export interface Period {
  report: ReportKind
  /** `2026-W46` for a week (ISO), `2026-10` for a month. */
  id: string
  /** First local day (Monday of the week, 1st of the month), YYYY-MM-DD. */
  firstDay: string
  /** Last local day (Sunday, or the month's last day): the as-of date of the results the report reads. */
  lastDay: string
  /** The period's bounds as UTC instants: local midnight at its start and at the start of the next. */
  start: Date
  end: Date
  /** Hours between start and end: 167 or 169 for a week across a clock change. */
  hours: number
  /** For people: "Week 46: 9 to 15 November 2026", "October 2026". */
  label: string
}

/** A PNG shown in the body, referenced as `cid:<cid>` from the HTML. */
export interface InlineImage {
  cid: string
  filename: string
  content: Buffer
  /** Alternative text: what the chart shows, in words, for screen readers and clients that block images. */
  alt: string
}

export interface Attachment {
  filename: string
  contentType: string
  content: Buffer | string
}

/** A report rendered for one recipient, before MIME composition. Every value in `html` is already escaped. */
export interface RenderedEmail {
  subject: string
  html: string
  text: string
  inlineImages: InlineImage[]
  attachments: Attachment[]
}

/** Who a report goes to; addresses come only from the recipients file. */
export interface Recipient {
  /** Stable key for ledger and archive paths: the commander id, or `funder-<n>`. */
  key: string
  name: string
  email: string
  kind: 'commander' | 'funder'
  /** A commander's hotspots; empty for a funder. */
  hotspotIds: string[]
}
