/**
 * A report as a document: what it says, in order, with no markup. Each report builds one (weekly/document.ts,
 * funder/document.ts) from its figures, and the renderers beside this file turn it into MJML (mjml.ts, the only
 * place anything is escaped for HTML), plain text (text.ts) and the CSV attachment (csv.ts). Every string here is
 * the text a reader sees, already formatted (format.ts): a renderer decides layout, never wording or rounding.
 */

/** How a flag reads: worse, better, unchanged, or nothing to compare with. The MJML renderer colours it. */
export type Tone = 'bad' | 'good' | 'neutral' | 'none'

/** A change flag in words ("significant rise"), with the figures beside it ("(5, +40%)"). */
export interface Flag {
  words: string
  detail?: string
  tone: Tone
}

/** A piece of a line: text, or a flag set apart from it. */
export type Inline = string | Flag

/**
 * A table cell. Figures are formatted already; the type says how the cell reads so that a renderer can align
 * it and a test can find it (`kind`: what the figure counts, e.g. `count`, `rate`, as the disclosure control
 * classed it).
 */
export type Cell =
  | { type: 'text'; text: string; kind?: string }
  | { type: 'number'; text: string; kind?: string }
  /** A figure with its 95% interval. */
  | { type: 'interval'; value: string; low: string; high: string; kind?: string }
  /** A figure not shown: "<10", "withheld", "n/a". */
  | { type: 'suppressed'; text: string; kind?: string }
  | { type: 'flag'; flag: Flag }
  | { type: 'empty' }

export interface Column {
  header: string
  align: 'left' | 'right'
}

export interface TableRow {
  label: string
  /** One per column after the first (the row labels). */
  cells: Cell[]
}

export interface Table {
  caption?: string
  /** The first column holds the row labels. */
  columns: Column[]
  rows: TableRow[]
}

/** One line of key figures: "Arrests: 1 — no significant change vs last year (0 last year)". */
export interface KeyFigure {
  label: string
  /** The main figure. */
  value: string
  flag?: Flag
  /** What qualifies the figure: other periods, intervals, the harm beside a count. */
  detail?: string
  /** What the figure is, in small print. */
  note?: string
}

/** A list item, optionally led by a title in bold: "HS-01 Market Square: 7 crimes, ...". */
export interface ListItem {
  lead?: string
  line: Inline[]
}

/** A picture shown in the body (a chart), by its content id; the email carries the PNG. */
export interface ImageRef {
  cid: string
  /** What it shows, in words: the alt text, and what the plain text says in its place. */
  alt: string
}

export type Block =
  | { type: 'paragraph'; text: string }
  | { type: 'list'; items: ListItem[] }
  | { type: 'keyFigures'; rows: KeyFigure[] }
  | { type: 'table'; table: Table }
  | { type: 'images'; images: ImageRef[] }

export interface Section {
  title: string
  /** What the section covers: the period, the place. */
  subtitle?: string
  blocks: Block[]
}

/** The figures as data, for the CSV attachment: one header row, then a row per figure. */
export interface DataTable {
  columns: readonly string[]
  rows: Record<string, string | number | null | undefined>[]
}

export interface ReportDocument {
  subject: string
  /** The hidden preview line mail clients show after the subject. */
  preview: string
  masthead: {
    /** Above the title, in small capitals: the force. */
    kicker: string
    title: string
    /** Under the title: the period, whom it is for. */
    lines: string[]
  }
  sections: Section[]
  /** Small print at the end: how to read the figures, disclosure, the attachment. */
  notes: string[]
  data: DataTable
  /** The CSV attachment's file name. */
  dataFilename: string
}
