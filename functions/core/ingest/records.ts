import { parse } from 'csv-parse/sync'
import { type LineBatch, OversizedLine, type PhysicalLine } from './lines.ts'

/** A data record read from a drop: its fields, or why it could not be read. */
export type SourceRecord =
  | { line: number; fields: string[]; text: string }
  | { line: number; error: { code: RecordErrorCode; reason: string }; text: string }

export type RecordErrorCode = 'malformed_csv' | 'record_too_large' | 'invalid_json'

/** An open quoted field may continue over lines up to this size before the record is judged malformed. */
const MAX_RECORD_CHARS = 2 * 1024 * 1024
const BATCH_RECORDS = 2000

/** Records are joined with LF before parsing (a CR before it already removed), so LF is the only delimiter. */
const CSV_OPTIONS = {
  relax_column_count: true,
  skip_empty_lines: false,
  bom: false,
  record_delimiter: '\n',
} as const

interface Framed {
  line: number
  text: string
  /** Already split: a line without any quote character is, by RFC 4180, exactly its comma-separated fields. */
  fields?: string[]
  oversized?: OversizedLine
}

function countQuotes(text: string): number {
  let n = 0
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++
  return n
}

/**
 * Whether a line that holds an odd number of quote characters opens a quoted field that the next lines may close:
 * true when its last quoted field starts at a field's start and is still open at the line's end. A quote inside
 * an unquoted field (12" pipe) or quoting broken before the end is malformed on that line alone.
 */
function opensQuotedField(text: string): boolean {
  try {
    parse(text, CSV_OPTIONS)
    return false
  } catch (error) {
    return (error as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED'
  }
}

/**
 * Splits physical lines into CSV records. A quoted field opened on one line continues onto the next lines until its
 * closing quote (while the record holds an odd number of quote characters: exact for RFC 4180, where quotes inside
 * fields are doubled), and everything up to it is one record, whatever it then parses to: a line inside the quotes
 * is text of that field, and taking it as a record of its own would invent one. A quote that is never closed (by
 * the end of input, or within 2 MB) is contained: its first line becomes a malformed record and framing resumes on
 * the line after, so one bad row cannot swallow the rest of the drop.
 */
class CsvFramer {
  private pending: { line: number; text: string }[] = []
  private pendingChars = 0
  private pendingQuotes = 0

  push(line: number, physical: PhysicalLine, out: Framed[]): void {
    if (physical instanceof OversizedLine) {
      this.flushBroken(out)
      out.push({ line, text: physical.preview, oversized: physical })
      return
    }
    if (this.pending.length === 0) {
      if (physical.trim() === '') return
      if (physical.indexOf('"') === -1) {
        out.push({ line, text: physical, fields: physical.split(',') })
        return
      }
      const quotes = countQuotes(physical)
      if (quotes % 2 === 0 || !opensQuotedField(physical)) {
        out.push({ line, text: physical })
        return
      }
      this.pending.push({ line, text: physical })
      this.pendingChars = physical.length
      this.pendingQuotes = quotes
      return
    }
    this.pending.push({ line, text: physical })
    this.pendingChars += physical.length + 1
    this.pendingQuotes += physical.indexOf('"') === -1 ? 0 : countQuotes(physical)
    if (this.pendingQuotes % 2 === 0) {
      out.push({
        line: (this.pending[0] as { line: number }).line,
        text: this.pending.map((p) => p.text).join('\n'),
      })
      this.reset()
    } else if (this.pendingChars > MAX_RECORD_CHARS) {
      this.flushBroken(out)
    }
  }

  /** End of input: a quote still open is malformed. */
  end(out: Framed[]): void {
    while (this.pending.length > 0) this.flushBroken(out)
  }

  private flushBroken(out: Framed[]): void {
    if (this.pending.length === 0) return
    const [first, ...rest] = this.pending
    this.reset()
    out.push({ line: (first as { line: number }).line, text: (first as { text: string }).text })
    for (const p of rest) this.push(p.line, p.text, out)
  }

  private reset(): void {
    this.pending = []
    this.pendingChars = 0
    this.pendingQuotes = 0
  }
}

function parseOne(framed: Framed): SourceRecord {
  if (framed.oversized) {
    return {
      line: framed.line,
      text: framed.text,
      error: {
        code: 'record_too_large',
        reason: `line of ${framed.oversized.length} characters is larger than any valid record (64 KiB per field)`,
      },
    }
  }
  try {
    const rows = parse(framed.text, CSV_OPTIONS) as string[][]
    if (rows.length === 1) return { line: framed.line, fields: rows[0] as string[], text: framed.text }
    return {
      line: framed.line,
      text: framed.text,
      error: { code: 'malformed_csv', reason: `malformed quoting: the line holds ${rows.length} records` },
    }
  } catch (error) {
    const message = (error as Error).message.replace(/ at line \d+/, '')
    return {
      line: framed.line,
      text: framed.text,
      error: { code: 'malformed_csv', reason: `malformed quoting: ${message}` },
    }
  }
}

/**
 * Parses framed records: quote-free ones are already split (csv-parse costs ~4 us a record, most of the ingest's
 * budget), the rest go through csv-parse together, one by one only when that batch holds a malformed record.
 */
function parseBatch(batch: Framed[]): SourceRecord[] {
  const quoted = batch.filter((f) => f.fields === undefined && f.oversized === undefined)
  const parsed = new Map<Framed, SourceRecord>()
  if (quoted.length > 0) {
    let rows: string[][] | undefined
    try {
      rows = parse(quoted.map((f) => f.text).join('\n'), CSV_OPTIONS) as string[][]
    } catch {
      // one record in the batch is malformed: parse them one by one to find it
    }
    quoted.forEach((f, i) => {
      const fields = rows?.length === quoted.length ? rows[i] : undefined
      parsed.set(f, fields ? { line: f.line, fields, text: f.text } : parseOne(f))
    })
  }
  return batch.map((f) =>
    f.fields !== undefined
      ? { line: f.line, fields: f.fields, text: f.text }
      : (parsed.get(f) ?? parseOne(f)),
  )
}

/** CSV records (header included) from physical lines, each with the line it starts on. */
export async function* csvRecords(batches: AsyncIterable<LineBatch>): AsyncGenerator<SourceRecord[]> {
  const framer = new CsvFramer()
  let framed: Framed[] = []
  for await (const { firstLine, lines } of batches) {
    for (let i = 0; i < lines.length; i++) {
      framer.push(firstLine + i, lines[i] as PhysicalLine, framed)
      if (framed.length >= BATCH_RECORDS) {
        yield parseBatch(framed)
        framed = []
      }
    }
  }
  framer.end(framed)
  if (framed.length > 0) yield parseBatch(framed)
}

/**
 * JSON rows nested deeper than this (the row object being level 1) are refused as read. The contracts are flat
 * (level 1), so any nested value is refused anyway; the cap keeps a hostile depth (thousands of levels) out of the
 * quarantine record, where writing it (JSON.stringify recurses) overflowed the stack and killed the whole drop.
 */
export const MAX_JSON_DEPTH = 32

/** Walked with a stack of its own: recursion is what a deep value breaks. */
function nestedDeeperThan(value: object, limit: number): boolean {
  const pending: [object, number][] = [[value, 1]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next
    for (const child of Object.values(node)) {
      if (child === null || typeof child !== 'object') continue
      if (depth === limit) return true
      pending.push([child, depth + 1])
    }
  }
  return false
}

/**
 * Why a line is not JSON, without the excerpt of the line that V8 puts in some messages (`Unexpected token 'x',
 * "...row text..." is not valid JSON`): a survey row's excerpt can hold a name or a phone number.
 */
function jsonSyntaxReason(error: Error): string {
  return `invalid JSON: ${error.message.replace(/, ".*" is not valid JSON$/s, '')}`
}

/** JSON Lines records: each non-blank line one JSON object. */
export async function* jsonlRecords(
  batches: AsyncIterable<LineBatch>,
): AsyncGenerator<(SourceRecord & { object?: Record<string, unknown> })[]> {
  for await (const { firstLine, lines } of batches) {
    const out: (SourceRecord & { object?: Record<string, unknown> })[] = []
    for (let i = 0; i < lines.length; i++) {
      const physical = lines[i] as PhysicalLine
      const line = firstLine + i
      if (physical instanceof OversizedLine) {
        out.push(parseOne({ line, text: physical.preview, oversized: physical }))
        continue
      }
      if (physical.trim() === '') continue
      try {
        const value: unknown = JSON.parse(physical)
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          out.push({
            line,
            text: physical,
            error: { code: 'invalid_json', reason: 'line is not a JSON object' },
          })
        } else if (nestedDeeperThan(value, MAX_JSON_DEPTH)) {
          out.push({
            line,
            text: physical,
            error: { code: 'invalid_json', reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` },
          })
        } else {
          out.push({ line, text: physical, fields: [], object: value as Record<string, unknown> })
        }
      } catch (error) {
        out.push({
          line,
          text: physical,
          error: { code: 'invalid_json', reason: jsonSyntaxReason(error as Error) },
        })
      }
    }
    if (out.length > 0) yield out
  }
}
