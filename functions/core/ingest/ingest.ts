import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Column, columnsOf, MAX_FIELD_CHARS } from '../contracts/columns.ts'
import { contractFor, curatedColumns, type FeedContract, type FeedName } from '../contracts/feeds.ts'
import { FUTURE_TOLERANCE_MS, validateRow } from '../contracts/validate.ts'
import { curatedKey, ingestClaimKey, ingestManifestKey, landingKey, quarantineKey } from '../lake.ts'
import type { Clock, ObjectStore } from '../ports.ts'
import { parseDate } from '../time.ts'
import {
  bindCsv,
  bindJsonl,
  detectFormat,
  FileRejectedError,
  type FormatName,
  type MappedRecord,
  type RecordMapper,
} from './formats.ts'
import { type Encoding, readLines, UndecodableError } from './lines.ts'
import { ParquetSink } from './parquet-sink.ts'
import { csvRecords, jsonlRecords, type SourceRecord } from './records.ts'

export const MANIFEST_VERSION = 1

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

export interface IngestManifest {
  manifest_version: number
  drop_id: string
  feed: FeedName
  schema_version: number
  format: FormatName
  encoding: Encoding
  drop_date: string
  source: { name: string; landing_key: string; sha256: string; bytes: number }
  ingested_at: string
  rows_in: number
  rows_accepted: number
  rows_quarantined: number
  rows_duplicate: number
  quarantined_by_code: Partial<Record<QuarantineCode, number>>
  outputs: { curated: string | null; quarantine: string | null }
  /** 2 when keys repeated within the drop and a second pass settled them (duplicate or superseded). */
  passes: 1 | 2
  timings_ms: { hash: number; scan: number; publish: number; total: number }
}

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

export interface IngestRequest {
  store: ObjectStore
  clock: Clock
  feed: FeedName
  /** Local file holding the drop's bytes. */
  file: string
  /** The drop's name as delivered (a path or an S3 key), used in messages and quarantine records. */
  sourceName: string
  dropDate: string
  /** Default: JSON Lines for `.jsonl`/`.ndjson` files, else CSV, with data.police.uk layouts detected by header. */
  format?: FormatName
  encoding?: Encoding
  /** Where the drop already sits in the lake (S3 delivery). Without it the drop is first stored under landing/. */
  landingKey?: string
  onProgress?: (progress: { rows: number; bytes: number }) => void
  /** Test seam: runs after the outputs are published and before the manifest is written. */
  beforeManifest?: () => void | Promise<void>
}

export interface IngestResult {
  manifest: IngestManifest
  /** `already-ingested`: the drop's manifest existed, nothing was written. */
  outcome: 'ingested' | 'already-ingested'
}

export class InvariantError extends Error {}

const SEP = '\u001f'
const TEXT_PREVIEW_CHARS = 65_536

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const digest = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(file)) {
    digest.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { sha256: digest.digest('hex'), bytes }
}

export function dropIdOf(feed: string, dropDate: string, sha256: string): string {
  return `${feed}-${dropDate}-${sha256.slice(0, 16)}`
}

/** `windows-1252` when the name declares it (`*.windows-1252.csv`, `*.cp1252.csv`), else UTF-8. */
export function declaredEncoding(name: string): Encoding {
  return /[._-](windows-1252|cp1252)[._-]/i.test(path.basename(name)) ? 'windows-1252' : 'utf-8'
}

function defaultFormat(name: string): FormatName | undefined {
  return /\.(jsonl|ndjson)$/i.test(name) ? 'jsonl' : undefined
}

/**
 * Ingests one drop: every row is accepted, quarantined with its reason, or counted as a duplicate, and the
 * counts are checked before the manifest is written. Safe to run again or concurrently for the same drop:
 * outputs are conditional creates keyed by drop_id, and a run interrupted before its manifest is completed by
 * the next run without duplicating anything.
 */
export async function ingestDrop(request: IngestRequest): Promise<IngestResult> {
  const started = performance.now()
  const { store, feed, dropDate } = request
  if (parseDate(dropDate) === undefined)
    throw new Error(`drop date ${JSON.stringify(dropDate)} is not YYYY-MM-DD`)
  const contract = contractFor(feed)
  const { sha256, bytes } = await sha256File(request.file)
  const dropId = dropIdOf(feed, dropDate, sha256)
  const hashed = performance.now()
  const manifestKey = ingestManifestKey(feed, dropId)
  if (await store.exists(manifestKey)) {
    return {
      manifest: JSON.parse((await store.getBytes(manifestKey)).toString('utf8')),
      outcome: 'already-ingested',
    }
  }
  const landed = request.landingKey ?? (await storeInLanding(request, sha256))
  const ingestedAt = await claim(store, feed, dropId, request.clock)
  const encoding = request.encoding ?? declaredEncoding(request.sourceName)
  const work = await mkdtemp(path.join(tmpdir(), 'hotspot-ingest-'))
  try {
    const context: ScanContext = {
      contract,
      dropId,
      dropDate,
      ingestedAtMs: Date.parse(ingestedAt),
      encoding,
      format: request.format ?? defaultFormat(request.sourceName),
      notAfterMs: request.clock.now().getTime() + FUTURE_TOLERANCE_MS,
      request,
    }
    let scan: ScanResult
    try {
      scan = await scanDrop(context, work, new Set())
      if (scan.repeats.size > 0) scan = await scanDrop(context, work, scan.repeats)
    } catch (error) {
      const rejection =
        error instanceof UndecodableError ? new FileRejectedError(request.sourceName, error.message) : error
      if (rejection instanceof FileRejectedError) await recordRejection(context, rejection)
      throw rejection
    }
    const scanned = performance.now()
    const outputs = {
      curated: scan.accepted > 0 ? curatedKey(feed, dropDate, dropId) : null,
      quarantine: scan.quarantined > 0 ? quarantineKey(feed, dropDate, dropId) : null,
    }
    if (outputs.curated) {
      await store.create(
        outputs.curated,
        { file: scan.parquetFile },
        { contentType: 'application/vnd.apache.parquet' },
      )
    }
    if (outputs.quarantine) {
      await store.create(
        outputs.quarantine,
        { file: scan.quarantineFile },
        { contentType: 'application/x-ndjson' },
      )
    }
    await request.beforeManifest?.()
    const published = performance.now()
    const manifest: IngestManifest = {
      manifest_version: MANIFEST_VERSION,
      drop_id: dropId,
      feed,
      schema_version: contract.version,
      format: scan.format,
      encoding,
      drop_date: dropDate,
      source: { name: request.sourceName, landing_key: landed, sha256, bytes },
      ingested_at: ingestedAt,
      rows_in: scan.rowsIn,
      rows_accepted: scan.accepted,
      rows_quarantined: scan.quarantined,
      rows_duplicate: scan.duplicate,
      quarantined_by_code: scan.byCode,
      outputs,
      passes: scan.pass,
      timings_ms: {
        hash: Math.round(hashed - started),
        scan: Math.round(scanned - hashed),
        publish: Math.round(published - scanned),
        total: Math.round(performance.now() - started),
      },
    }
    assertInvariant(manifest)
    const created = await store.create(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
      contentType: 'application/json',
    })
    if (created === 'exists') {
      // a concurrent run of the same drop finished first; its outputs are the same objects
      return {
        manifest: JSON.parse((await store.getBytes(manifestKey)).toString('utf8')),
        outcome: 'already-ingested',
      }
    }
    return { manifest, outcome: 'ingested' }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

export function assertInvariant(
  m: Pick<IngestManifest, 'rows_in' | 'rows_accepted' | 'rows_quarantined' | 'rows_duplicate' | 'drop_id'>,
): void {
  if (m.rows_in !== m.rows_accepted + m.rows_quarantined + m.rows_duplicate) {
    throw new InvariantError(
      `invariant broken for ${m.drop_id}: rows_in ${m.rows_in} != accepted ${m.rows_accepted} + quarantined ` +
        `${m.rows_quarantined} + duplicate ${m.rows_duplicate}`,
    )
  }
}

async function storeInLanding(request: IngestRequest, sha256: string): Promise<string> {
  const name = path.basename(request.sourceName)
  const key = landingKey(request.feed, request.dropDate, name)
  if ((await request.store.create(key, { file: request.file })) === 'created') return key
  const existing = createHash('sha256')
  for await (const chunk of await request.store.get(key)) existing.update(chunk as Buffer)
  if (existing.digest('hex') === sha256) return key
  // another drop of the same day under the same name (a correction): keep both, as delivered
  const ext = path.extname(name)
  const renamed = landingKey(
    request.feed,
    request.dropDate,
    `${name.slice(0, name.length - ext.length)}.${sha256.slice(0, 16)}${ext}`,
  )
  await request.store.create(renamed, { file: request.file })
  return renamed
}

/** The first run of a drop records when it started; every later or concurrent run reuses that instant. */
async function claim(store: ObjectStore, feed: string, dropId: string, clock: Clock): Promise<string> {
  const key = ingestClaimKey(feed, dropId)
  const ingestedAt = clock.now().toISOString()
  if ((await store.create(key, JSON.stringify({ drop_id: dropId, ingested_at: ingestedAt }))) === 'created') {
    return ingestedAt
  }
  return JSON.parse((await store.getBytes(key)).toString('utf8')).ingested_at
}

interface ScanContext {
  contract: FeedContract
  dropId: string
  dropDate: string
  ingestedAtMs: number
  encoding: Encoding
  format: FormatName | undefined
  notAfterMs: number
  request: IngestRequest
}

interface ScanResult {
  pass: 1 | 2
  format: FormatName
  rowsIn: number
  accepted: number
  duplicate: number
  quarantined: number
  byCode: Partial<Record<QuarantineCode, number>>
  /** Keys seen more than once in pass 1: the drop needs a second pass to settle them. */
  repeats: Set<string>
  parquetFile: string
  quarantineFile: string
}

class QuarantineWriter {
  private readonly stream: WriteStream
  count = 0
  readonly byCode: Partial<Record<QuarantineCode, number>> = {}

  constructor(readonly file: string) {
    this.stream = createWriteStream(file)
  }

  async write(record: QuarantineRecord): Promise<void> {
    this.count++
    this.byCode[record.code] = (this.byCode[record.code] ?? 0) + 1
    if (!this.stream.write(`${JSON.stringify(record)}\n`)) {
      await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()))
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    )
  }
}

/**
 * One pass over the drop. Most drops need one: every key is new, and each row is written as it is read. A key
 * seen twice cannot be settled then (the first row is already written), so the pass notes it and a second pass
 * holds back the rows of just those keys, compares their exact content (identical: duplicate; different: the
 * later row supersedes the earlier) and writes each key's last row at the end.
 */
async function scanDrop(context: ScanContext, work: string, repeated: Set<string>): Promise<ScanResult> {
  const { contract, request, dropId } = context
  const pass: 1 | 2 = repeated.size > 0 ? 2 : 1
  const parquetFile = path.join(work, `pass${pass}.parquet`)
  const quarantineFile = path.join(work, `pass${pass}.jsonl`)
  const columns = curatedColumns(contract)
  const contentColumns = columnsOf(contract.schema).map((c: Column) => c.name)
  const sink = new ParquetSink(
    parquetFile,
    columns,
    {
      'hotspot.drop_id': dropId,
      'hotspot.feed': contract.feed,
      'hotspot.schema_version': String(contract.version),
    },
    new Set([...contract.key, 'source_line']),
  )
  const quarantine = new QuarantineWriter(quarantineFile)
  const seenKeys = new Set<string>()
  const repeats = new Set<string>()
  const heldBack = new Map<
    string,
    { line: number; content: string; row: Record<string, unknown>; original: Record<string, unknown> }
  >()
  const [onlyKey] = contract.key
  const keyOf = (row: Record<string, unknown>) =>
    contract.key.length === 1 ? String(row[onlyKey as string]) : contract.key.map((k) => row[k]).join(SEP)
  let rowsIn = 0
  let duplicate = 0
  const dropDay = parseDate(context.dropDate) as number
  const lines = readLines(request.file, context.encoding)
  let format = context.format
  let mapper: RecordMapper | undefined
  let header: string[] = []
  const jsonl = format === 'jsonl' ? bindJsonl(contract) : undefined
  const batches: AsyncIterable<SourceRecord[]> = jsonl ? jsonlRecords(lines) : csvRecords(lines)

  const reject = (
    line: number,
    column: string | null,
    code: QuarantineCode,
    reason: string,
    extra: Partial<QuarantineRecord>,
  ) =>
    quarantine.write({
      drop_id: dropId,
      feed: contract.feed,
      file: request.sourceName,
      line,
      column,
      code,
      reason,
      ...extra,
    })

  const recordOf = (fields: string[]): Record<string, string> => {
    const record: Record<string, string> = {}
    const personal = new Set(contract.personalColumns)
    header.forEach((name, i) => {
      if (!personal.has(name.trim())) record[name] = fields[i] ?? ''
    })
    return record
  }

  for await (const batch of batches) {
    for (const record of batch) {
      if (!jsonl && !mapper) {
        if ('error' in record) {
          throw new FileRejectedError(
            request.sourceName,
            `header cannot be read: ${record.error.reason}`,
            record.line,
          )
        }
        header = record.fields
        format ??= detectFormat(header)
        mapper = bindCsv(format, contract, header, {
          file: request.sourceName,
          dropId,
          headerLine: record.line,
        })
        continue
      }
      rowsIn++
      const textOf = () =>
        (mapper ?? jsonl)?.carriesPersonalData ? undefined : record.text.slice(0, TEXT_PREVIEW_CHARS)
      if ('error' in record) {
        await reject(record.line, null, record.error.code, record.error.reason, { text: textOf() })
        continue
      }
      let mapped: MappedRecord
      let original: Record<string, unknown>
      if (jsonl) {
        const object = (record as unknown as { object: Record<string, unknown> }).object
        const result = jsonl.fromObject(object)
        original = { ...object }
        for (const p of contract.personalColumns) delete original[p]
        if (typeof result === 'string') {
          await reject(
            record.line,
            result,
            'unknown_column',
            `unknown or non-scalar field ${JSON.stringify(result)}`,
            {
              record: original,
            },
          )
          continue
        }
        mapped = result
      } else {
        const m = mapper as RecordMapper
        const { fields } = record
        if (fields.length !== m.fieldCount) {
          await reject(
            record.line,
            null,
            'wrong_field_count',
            `expected ${m.fieldCount} fields, found ${fields.length}`,
            {
              text: textOf(),
            },
          )
          continue
        }
        const tooLong = fields.findIndex((f) => f.length > MAX_FIELD_CHARS)
        if (tooLong !== -1) {
          await reject(
            record.line,
            header[tooLong] ?? null,
            'field_too_large',
            `field of ${fields[tooLong]?.length} characters exceeds the 64 KiB cap`,
            { text: m.carriesPersonalData ? undefined : record.text.slice(0, 1024) },
          )
          continue
        }
        mapped = m.map(fields, record.line)
        original = recordOf(fields)
      }
      const checked = validateRow(contract, mapped.raw, { notAfterMs: context.notAfterMs })
      if (!checked.ok) {
        const first = checked.issues[0] as { column: string; reason: string }
        const source = (mapper ?? jsonl) as RecordMapper
        await reject(
          record.line,
          source.sourceColumn(first.column),
          'invalid_value',
          checked.issues.map((i) => `${source.sourceColumn(i.column)}: ${i.reason}`).join('; '),
          { record: original },
        )
        continue
      }
      const row = checked.row as Record<string, unknown>
      row.drop_id = dropId
      row.drop_date = dropDay
      row.source_line = record.line
      row.ingested_at = context.ingestedAtMs
      row.key_derived = mapped.keyDerived
      if (!mapped.keyDerived) {
        const key = keyOf(row)
        if (repeated.has(key)) {
          // a key the drop repeats: its row is held back until the drop's last row for that key
          const content = contentColumns.map((c) => mapped.raw[c] ?? '').join(SEP)
          const previous = heldBack.get(key)
          if (previous?.content === content) {
            duplicate++
            continue
          }
          if (previous) {
            await reject(
              previous.line,
              contract.key.join(','),
              'superseded',
              `a later row (line ${record.line}) has the same key with different content`,
              { record: previous.original },
            )
          }
          heldBack.set(key, { line: record.line, content, row, original })
          continue
        }
        if (pass === 1) {
          if (seenKeys.has(key)) {
            repeats.add(key)
            continue
          }
          seenKeys.add(key)
        }
      }
      sink.append(row)
    }
    request.onProgress?.({ rows: rowsIn, bytes: 0 })
  }
  if (!jsonl && !mapper) throw new FileRejectedError(request.sourceName, 'empty file: no header and no rows')
  for (const { row } of heldBack.values()) sink.append(row)
  sink.finish()
  await quarantine.close()
  return {
    pass,
    format: format ?? 'csv',
    rowsIn,
    accepted: sink.rows,
    duplicate,
    quarantined: quarantine.count,
    byCode: quarantine.byCode,
    repeats,
    parquetFile,
    quarantineFile,
  }
}

async function recordRejection(context: ScanContext, rejection: FileRejectedError): Promise<void> {
  const record: QuarantineRecord = {
    drop_id: context.dropId,
    feed: context.contract.feed,
    file: context.request.sourceName,
    line: rejection.line ?? 0,
    column: null,
    code: 'file_rejected',
    reason: rejection.reason,
  }
  await context.request.store.create(
    quarantineKey(context.contract.feed, context.dropDate, context.dropId),
    `${JSON.stringify(record)}\n`,
    { contentType: 'application/x-ndjson' },
  )
}
