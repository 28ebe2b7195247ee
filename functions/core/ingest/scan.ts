import path from 'node:path'
import { cleanText, columnsOf, MAX_FIELD_CHARS } from '../contracts/columns.ts'
import { curatedColumns, type FeedContract, type FeedName } from '../contracts/feeds.ts'
import { validateRow } from '../contracts/validate.ts'
import type { Value } from '../parquet/writer.ts'
import type { LocalFile } from '../ports.ts'
import { parseDate } from '../time/days.ts'
import {
  bindCsv,
  bindJsonl,
  detectFormat,
  FileRejectedError,
  type FormatName,
  type MappedRecord,
  type RecordMapper,
  type StrayKey,
} from './formats.ts'
import { KEY_SEPARATOR, storedKey } from './key-set.ts'
import { type Encoding, readLines } from './lines.ts'
import type { Pseudonymiser } from './pseudonym.ts'
import { type QuarantineTruncation, QuarantineWriter } from './quarantine-writer.ts'
import { csvRecords, jsonlRecords, type RecordErrorCode, type SourceRecord } from './records.ts'
import { ThreadedParquetSink } from './threaded-sink.ts'

export type QuarantineCode =
  | 'malformed_csv'
  | 'record_too_large'
  | 'invalid_json'
  | 'wrong_field_count'
  | 'field_too_large'
  | 'unknown_column'
  | 'invalid_value'
  | 'superseded'
  | 'file_rejected'

export interface QuarantineRecord {
  drop_id: string
  feed: FeedName
  file: string
  line: number
  column: string | null
  code: QuarantineCode
  reason: string
  /** The row's fields by the drop's own column names (personal data removed). */
  record?: Record<string, unknown>
  /** Raw text of a row that could not be split into fields (omitted when the drop carries personal data). */
  text?: string
}

export interface ScanInput {
  contract: FeedContract
  file: string
  /** The file's bytes, when the drop is small enough to be read once for its hash and its scan. */
  contents?: Buffer
  /** The drop's name as delivered, for messages and quarantine records. */
  sourceName: string
  dropId: string
  dropDate: string
  ingestedAtMs: number
  encoding: Encoding
  /** Undefined: CSV, with the data.police.uk layouts recognised by their header. */
  format: FormatName | undefined
  /** Timestamps later than this are refused. */
  notAfterMs: number
  /** The quarantine file's cap (quarantine-writer.ts): rejected rows past it are counted, not stored. */
  quarantineMaxBytes: number
  /** Replaces the contract's pseudonymised columns; given whenever the contract has any. */
  pseudonymiser: Pseudonymiser | undefined
  /** Rows whose accuracy is over this many metres are flagged (FeedContract.accuracyFlag). */
  accuracyLimitM: number
  onProgress?: (progress: { rows: number }) => void
}

export interface ScanResult {
  pass: 1 | 2
  format: FormatName
  rowsIn: number
  accepted: number
  duplicate: number
  quarantined: number
  byCode: Partial<Record<QuarantineCode, number>>
  quarantineTruncated: QuarantineTruncation | null
  /** Keys seen more than once in pass 1 (its files are then set aside): the drop needs a second pass to settle them. */
  repeats: Set<string>
  /** The curated Parquet file and the quarantine records: in memory for a small drop, else files of the scan's. */
  curated: ScanOutput
  quarantine: ScanOutput
}

export type ScanOutput = Uint8Array | LocalFile

const TEXT_PREVIEW_CHARS = 65_536

/** What is wrong with a record that could not be read, without the parser's quote of the text around it. */
const RECORD_ERROR_RULES: Record<RecordErrorCode, string> = {
  malformed_csv: 'malformed quoting',
  invalid_json: 'the line is not one JSON object',
  record_too_large: 'the line is larger than any valid record (64 KiB per field)',
}

/** What a row's content is compared by when its key repeats in a drop: its contract columns as stored. */
export function contentOf(contentColumns: readonly string[], raw: Record<string, unknown>): string {
  // whitespace the ingest cleans away makes no difference of content
  return contentColumns.map((c) => cleanText(String(raw[c] ?? ''))).join(KEY_SEPARATOR)
}

/** Why a row was set aside for a later row of the same key (line `laterLine`). */
export function supersededReason(laterLine: number): string {
  return `a later row (line ${laterLine}) has the same key with different content`
}

/**
 * Reads a drop once and sorts every row: accepted (to a local Parquet file), quarantined with its reason (to a
 * local JSON Lines file) or counted as a duplicate. Throws `FileRejectedError` when the drop cannot be read.
 *
 * Most drops need one pass: every key is new, and each row is written as it is read. A key seen twice cannot be
 * settled then (its first row is already written), so the writer notes it (threaded-sink.ts: on its own thread
 * for a large drop), the pass's files are set aside, and a second pass (given those keys as `repeated`) holds
 * back the rows of just those keys, compares their exact content (identical: duplicate; different: the later row
 * supersedes the earlier) and writes each key's last row at the end.
 */
export async function scanDrop(input: ScanInput, work: string, repeated: Set<string>): Promise<ScanResult> {
  const scan = new DropScan(input, work, repeated)
  try {
    return await scan.run()
  } catch (error) {
    scan.abort()
    throw error
  }
}

class DropScan {
  private readonly pass: 1 | 2
  private readonly sink: ThreadedParquetSink
  private readonly quarantine: QuarantineWriter
  private readonly contentColumns: string[]
  private readonly contractColumns: Set<string>
  private readonly personal: Set<string>
  /** The feed's refusals name line, column and rule only (FeedContract.redactRefusals). */
  private readonly redact: boolean
  /**
   * A quarantine record holds neither the text of a row nor a value outside the contract's columns: a redacted
   * feed's may be personal data, and a pseudonymised feed's the raw value of a pseudonymised column (in its
   * text, or under a name the contract does not know).
   */
  private readonly contractOnly: boolean
  private readonly dropDay: number
  private readonly jsonl: ReturnType<typeof bindJsonl> | undefined
  private format: FormatName | undefined
  private mapper: RecordMapper | undefined
  private header: string[] = []
  private rowsIn = 0
  private duplicate = 0
  private readonly heldBack = new Map<
    string,
    {
      line: number
      content: string
      row: Record<string, unknown>
      lineage: Value[]
      original: Record<string, unknown>
    }
  >()

  constructor(
    private readonly input: ScanInput,
    work: string,
    private readonly repeated: Set<string>,
  ) {
    const { contract } = input
    this.pass = repeated.size > 0 ? 2 : 1
    this.sink = new ThreadedParquetSink(
      path.join(work, `pass${this.pass}.parquet`),
      curatedColumns(contract),
      {
        drop_id: input.dropId,
        feed: contract.feed,
        schema_version: String(contract.version),
      },
      new Set([...contract.key, ...(contract.referenceColumns ?? []), 'source_line']),
      // pass 1 learns which keys repeat from the writer; pass 2 settles them here
      this.pass === 1 ? contract.key : [],
    )
    this.quarantine = new QuarantineWriter(
      path.join(work, `pass${this.pass}.jsonl`),
      input.quarantineMaxBytes,
    )
    this.contentColumns = columnsOf(contract.schema).map((c) => c.name)
    this.contractColumns = new Set(this.contentColumns)
    this.personal = new Set(contract.personalColumns)
    this.redact = contract.redactRefusals === true
    this.contractOnly = this.redact || contract.pseudonymised !== undefined
    if (contract.pseudonymised !== undefined && !input.pseudonymiser) {
      throw new Error(`${contract.feed} drops are pseudonymised: the scan needs a pseudonymiser`)
    }
    this.dropDay = parseDate(input.dropDate) as number
    this.format = input.format
    this.jsonl = input.format === 'jsonl' ? bindJsonl(contract) : undefined
  }

  async run(): Promise<ScanResult> {
    const lines = readLines(this.input.contents ?? this.input.file, this.input.encoding)
    const batches: AsyncIterable<SourceRecord[]> = this.jsonl ? jsonlRecords(lines) : csvRecords(lines)
    for await (const batch of batches) {
      for (const record of batch) {
        this.take(record)
        // awaited only when needed: an await per row costs more than validating it
        const draining = this.quarantine.drained()
        if (draining) await draining
      }
      await this.sink.ready()
      this.input.onProgress?.({ rows: this.rowsIn })
    }
    if (this.jsonl ? this.rowsIn === 0 : !this.mapper) {
      throw new FileRejectedError(this.input.sourceName, 'empty file: no header and no rows')
    }
    for (const { row, lineage } of this.heldBack.values()) this.sink.append(row, lineage)
    const { repeats, parquet } = await this.sink.finish()
    const quarantine = await this.quarantine.close()
    return {
      pass: this.pass,
      format: this.format ?? 'csv',
      rowsIn: this.rowsIn,
      accepted: this.sink.rows,
      duplicate: this.duplicate,
      quarantined: this.quarantine.count,
      byCode: this.quarantine.byCode,
      quarantineTruncated: this.quarantine.truncated,
      repeats,
      curated: parquet,
      quarantine,
    }
  }

  /** A rejected drop keeps nothing and leaves no open file behind. */
  abort(): void {
    this.quarantine.abort()
    this.sink.abort()
  }

  private take(record: SourceRecord): void {
    if (!this.jsonl && !this.mapper) {
      this.bindHeader(record)
      return
    }
    this.rowsIn++
    if ('error' in record) {
      const { code, reason } = record.error
      // the parser's reason may quote the record (`value is "..."`): a pseudonymised feed's holds a raw id
      this.rejectRecord(record, null, code, this.contractOnly ? RECORD_ERROR_RULES[code] : reason, {
        text: this.textOf(record),
      })
      return
    }
    const mapped = this.jsonl ? this.mapObject(record) : this.mapFields(record)
    if (!mapped) return
    const { contract } = this.input
    const checked = validateRow(contract, mapped.raw, {
      notAfterMs: this.input.notAfterMs,
      dropDay: this.dropDay,
    })
    if (!checked.ok) {
      const source = (this.mapper ?? this.jsonl) as RecordMapper
      const first = checked.issues[0] as { column: string }
      const refused = new Set(checked.issues.map((i) => source.sourceColumn(i.column)))
      this.rejectRecord(
        record,
        source.sourceColumn(first.column),
        'invalid_value',
        checked.issues
          .map((i) => `${source.sourceColumn(i.column)}: ${this.redact ? i.rule : i.reason}`)
          .join('; '),
        { record: this.originalOf(record, refused) },
      )
      return
    }
    const row = checked.row as Record<string, unknown>
    this.derive(row)
    // in the order of LINEAGE_COLUMNS
    const lineage = [this.input.dropId, this.dropDay, record.line, this.input.ingestedAtMs, mapped.keyDerived]
    if (this.pass === 2 && !mapped.keyDerived) {
      const key = storedKey(
        contract.key.length === 1
          ? String(row[contract.key[0] as string])
          : contract.key.map((k) => row[k]).join(KEY_SEPARATOR),
      )
      if (this.repeated.has(key)) {
        this.holdBack(key, record, mapped, row, lineage)
        return
      }
    }
    this.sink.append(row, lineage)
  }

  /** What the ingest sets on an accepted row: pseudonyms in place of raw values, the accuracy flag. */
  private derive(row: Record<string, unknown>): void {
    this.input.pseudonymiser?.apply(row)
    const flag = this.input.contract.accuracyFlag
    if (flag) {
      const accuracy = row[flag.column]
      row[flag.flag] = typeof accuracy === 'number' && accuracy > this.input.accuracyLimitM
    }
  }

  private bindHeader(record: SourceRecord): void {
    const { sourceName, contract, dropId } = this.input
    if ('error' in record) {
      const reason = this.redact ? RECORD_ERROR_RULES[record.error.code] : record.error.reason
      throw new FileRejectedError(sourceName, `header cannot be read: ${reason}`, record.line)
    }
    this.header = record.fields
    this.format ??= detectFormat(this.header)
    this.mapper = bindCsv(this.format, contract, this.header, {
      file: sourceName,
      dropId,
      headerLine: record.line,
    })
  }

  private mapFields(record: SourceRecord & { fields: string[] }): MappedRecord | undefined {
    const mapper = this.mapper as RecordMapper
    const { fields } = record
    if (fields.length !== mapper.fieldCount) {
      this.rejectRecord(
        record,
        null,
        'wrong_field_count',
        `expected ${mapper.fieldCount} fields, found ${fields.length}`,
        {
          text: this.textOf(record),
        },
      )
      return undefined
    }
    for (let i = 0; i < fields.length; i++) {
      if ((fields[i] as string).length > MAX_FIELD_CHARS) {
        this.rejectRecord(
          record,
          this.header[i] ?? null,
          'field_too_large',
          `field of ${(fields[i] as string).length} characters exceeds the 64 KiB cap`,
          { text: mapper.carriesPersonalData || this.contractOnly ? undefined : record.text.slice(0, 1024) },
        )
        return undefined
      }
    }
    return mapper.map(fields, record.line)
  }

  private mapObject(record: SourceRecord): MappedRecord | undefined {
    const result = (this.jsonl as ReturnType<typeof bindJsonl>).fromObject(objectOf(record))
    if (!('key' in result)) return result
    const { column, reason } = this.strayKeyIssue(result)
    this.rejectRecord(record, column, 'unknown_column', reason, {
      record: this.originalOf(record, new Set(column === null ? [] : [column])),
    })
    return undefined
  }

  /**
   * A key the contract cannot take. Its name is repeated only when it names a contract column or the feed's
   * refusals may show what a drop holds: a survey's stray key may be `Phone`, or a phone number itself.
   */
  private strayKeyIssue(stray: StrayKey): { column: string | null; reason: string } {
    const { feed } = this.input.contract
    if (stray.known)
      return { column: stray.key, reason: `${stray.key}: is an object or array, not one value` }
    if (this.redact) {
      return {
        column: null,
        reason:
          `key ${stray.position} of the object is not a column of ${feed} ` +
          `(its name and value are not kept: ${feed} drops may carry personal data)`,
      }
    }
    return { column: stray.key, reason: `${JSON.stringify(stray.key)} is not a column of ${feed}` }
  }

  /** A row whose key the drop repeats waits until the drop's last row for that key. */
  private holdBack(
    key: string,
    record: SourceRecord,
    mapped: MappedRecord,
    row: Record<string, unknown>,
    lineage: Value[],
  ): void {
    const content = contentOf(this.contentColumns, mapped.raw)
    const previous = this.heldBack.get(key)
    if (previous?.content === content) {
      this.duplicate++
      return
    }
    if (previous) {
      this.reject(
        previous.line,
        this.input.contract.key.join(','),
        'superseded',
        supersededReason(record.line),
        { record: previous.original },
      )
    }
    this.heldBack.set(key, { line: record.line, content, row, lineage, original: this.originalOf(record) })
  }

  /**
   * The row as the drop gave it, by its own column names, without personal data. When the feed's refusals are
   * redacted, only its contract columns that passed their checks: a value outside the contract, or one a
   * column refused, may be a name or a phone number. A pseudonymised feed's keeps its contract columns only, and
   * a pseudonymised column holds its pseudonym, as curated/ would, or is left out when the column refused it.
   */
  private originalOf(record: SourceRecord, refused: Set<string> = new Set()): Record<string, unknown> {
    const keeps = (name: string, value: unknown) =>
      !this.personal.has(name) &&
      (!this.contractOnly || this.contractColumns.has(name)) &&
      (!this.redact || (!refused.has(name) && (value === null || typeof value !== 'object')))
    const original: Record<string, unknown> = {}
    // a CSV header's names are read trimmed; a JSON key is a column only as it is spelled
    const keep = (name: string, value: unknown, column = name) => {
      if (!keeps(column, value)) return
      if (this.input.pseudonymiser && column in this.input.pseudonymiser.prefixes) {
        const shown = refused.has(column) ? undefined : this.pseudonymOf(column, value)
        if (shown !== undefined) original[name] = shown
      } else original[name] = value
    }
    if (this.jsonl) {
      for (const [name, value] of Object.entries(objectOf(record))) keep(name, value)
    } else if ('fields' in record) {
      this.header.forEach((name, i) => {
        keep(name, record.fields[i] ?? '', name.trim())
      })
    }
    return original
  }

  /** A pseudonymised column's value as a quarantine record shows it: its pseudonym, or null when absent. */
  private pseudonymOf(column: string, value: unknown): string | null | undefined {
    if (value === null) return null
    if (typeof value !== 'string' && typeof value !== 'number') return undefined
    const clean = cleanText(String(value))
    return clean === '' ? null : (this.input.pseudonymiser as Pseudonymiser).pseudonym(column, clean)
  }

  private textOf(record: SourceRecord): string | undefined {
    const carriesPersonalData =
      this.contractOnly || ((this.mapper ?? this.jsonl)?.carriesPersonalData ?? this.personal.size > 0)
    return carriesPersonalData ? undefined : record.text.slice(0, TEXT_PREVIEW_CHARS)
  }

  /** A record spanning lines (a quoted field with line breaks) is quarantined whole, and its reason says so. */
  private rejectRecord(
    record: SourceRecord,
    column: string | null,
    code: QuarantineCode,
    reason: string,
    extra: Partial<QuarantineRecord>,
  ): void {
    const lastLine = record.line + lineBreaksIn(record.text)
    const span = lastLine > record.line ? ` (the record spans lines ${record.line}-${lastLine})` : ''
    this.reject(record.line, column, code, reason + span, extra)
  }

  private reject(
    line: number,
    column: string | null,
    code: QuarantineCode,
    reason: string,
    extra: Partial<QuarantineRecord>,
  ): void {
    const { dropId, contract, sourceName } = this.input
    this.quarantine.write({
      drop_id: dropId,
      feed: contract.feed,
      file: sourceName,
      line,
      column,
      code,
      reason,
      ...extra,
    })
  }
}

function lineBreaksIn(text: string): number {
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

function objectOf(record: SourceRecord): Record<string, unknown> {
  return (record as unknown as { object: Record<string, unknown> }).object
}
