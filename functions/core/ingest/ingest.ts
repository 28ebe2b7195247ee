import { createHash } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import path from 'node:path'
import { contractFor, DEFAULT_PING_ACCURACY_LIMIT_M, type FeedName } from '../contracts/feeds.ts'
import { FUTURE_TOLERANCE_MS } from '../contracts/validate.ts'
import { curatedKey, ingestClaimKey, ingestManifestKey, landingKey, quarantineKey } from '../lake.ts'
import { type Clock, isLocalFile, type ObjectStore } from '../ports.ts'
import { isDay } from '../time/days.ts'
import { makeWorkFolder, removeWorkFolder } from '../work-folder.ts'
import { DropDateRefusedError, dropDateRefusal } from './drop-date.ts'
import { FileRejectedError, type FormatName } from './formats.ts'
import { type Encoding, readChunks, UndecodableError } from './lines.ts'
import { Pseudonymiser, type PseudonymKey } from './pseudonym.ts'
import { QUARANTINE_MAX_BYTES, type QuarantineTruncation } from './quarantine-writer.ts'
import {
  type QuarantineCode,
  type QuarantineRecord,
  type ScanInput,
  type ScanResult,
  scanDrop,
} from './scan.ts'

export type { QuarantineCode, QuarantineRecord } from './scan.ts'

const MANIFEST_VERSION = 1

export interface IngestManifest {
  manifest_version: number
  drop_id: string
  feed: FeedName
  schema_version: number
  format: FormatName
  encoding: Encoding
  drop_date: string
  source: { name: string; landing_key: string; sha256: string; bytes: number }
  /**
   * The S3 version of `source.landing_key` that was read (the version id of the S3 event that announced it), so
   * an overwritten landing object can still be traced to the bytes this drop came from. Null when the drop was
   * not read from a versioned object (the CLI, a local lake).
   */
  landing_version_id: string | null
  ingested_at: string
  rows_in: number
  rows_accepted: number
  rows_quarantined: number
  rows_duplicate: number
  quarantined_by_code: Partial<Record<QuarantineCode, number>>
  /**
   * Null when every quarantined row is in the quarantine object; else it reached its cap and the rows past it
   * are counted above but not stored (the drop under landing/ holds them).
   */
  quarantine_truncated: QuarantineTruncation | null
  outputs: { curated: string | null; quarantine: string | null }
  /**
   * How the drop was read: `columnar` (ingest/columnar.ts) for a plain CSV drop of a feed of simple columns,
   * else `row` (ingest/scan.ts); both give the same outputs.
   */
  scan_path: 'columnar' | 'row'
  /** 2 when keys repeated within the drop and a second pass settled them (duplicate or superseded). */
  passes: 1 | 2
  /** The id of the key that pseudonymised the drop (pseudonym.ts); null when the feed pseudonymises nothing. */
  pseudonym_key_id: string | null
  /** The accuracy limit (m) of the drop's accuracy flag; null when the feed flags no accuracy. */
  accuracy_limit_m: number | null
  timings_ms: { hash: number; scan: number; publish: number; total: number }
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
  /** The version of `landingKey` the file was read from (S3 delivery of a versioned bucket). */
  landingVersionId?: string
  /** The file's sha256 and size, when the caller took them while writing it; else the file is read to take them. */
  content?: DropContent
  onProgress?: (progress: { rows: number }) => void
  /** The key of the pseudonyms; a feed with pseudonymised columns is refused without one. */
  pseudonymKey?: PseudonymKey
  /** Metres; default DEFAULT_PING_ACCURACY_LIMIT_M. */
  accuracyLimitM?: number
  /** Default `QUARANTINE_MAX_BYTES`. */
  quarantineMaxBytes?: number
  /**
   * The columnar scan (columnar.ts: `columnarScan`), which reads a plain CSV drop of a feed of simple columns
   * with DuckDB, answering undefined for a drop it leaves to the row path. Given by the command line; a Lambda
   * ships no DuckDB (lib/lambda.ts NEVER_BUNDLED), so it reads every drop by the row path.
   */
  columnar?: (input: ScanInput, work: string) => Promise<ScanResult | undefined>
  /** Test seam: runs after the outputs are published and before the manifest is written. */
  beforeManifest?: () => void | Promise<void>
}

export interface IngestResult {
  manifest: IngestManifest
  /** `already-ingested`: the drop's manifest existed, nothing was written. */
  outcome: 'ingested' | 'already-ingested'
}

export class InvariantError extends Error {
  override name = 'InvariantError'
}

/**
 * The drop could not be stored: a write or a read failed in the system (a full disk or temporary folder, a
 * quota, a read-only folder, an I/O error). The message names the drop and the file that failed; the `code`
 * is the system's (ENOSPC, EDQUOT, EIO, EACCES, ...). Nothing of the run is left in the temporary folder, and
 * a rerun completes what it stored in the lake.
 */
export class DropNotStoredError extends Error {
  override name = 'DropNotStoredError'
  constructor(
    sourceName: string,
    readonly code: string,
    cause: Error,
  ) {
    super(`${sourceName}: not ingested: ${cause.message}`, { cause })
  }
}

/**
 * The drop's feed stores pseudonyms and the ingest was given no key: nothing is read or stored (the raw values
 * must not reach the lake). The caller adds which setting holds the key.
 */
export class PseudonymKeyMissingError extends Error {
  override name = 'PseudonymKeyMissingError'
}

export interface DropContent {
  sha256: string
  bytes: number
}

/** A drop is hashed a megabyte at a time: in Node's default 64 KiB reads, hashing takes twice as long. */
const HASH_CHUNK_BYTES = 1 << 20

/** Takes a drop's sha256 (hex) and length from its bytes as they pass. */
export class ContentDigest {
  private readonly digest = createHash('sha256')
  private bytes = 0

  update(chunk: Buffer): void {
    this.digest.update(chunk)
    this.bytes += chunk.length
  }

  content(): DropContent {
    return { sha256: this.digest.digest('hex'), bytes: this.bytes }
  }
}

/**
 * A drop this small (a daily drop of most feeds: a few kB) is read once, whole, for its hash, its scan and its
 * landing copy; a larger one is streamed for each. Each read of a file is several calls through the thread pool,
 * and a demo city ingests 10,500 drops.
 */
const READ_WHOLE_BYTES = 1 << 20

/** The file's bytes when it holds at most READ_WHOLE_BYTES, else undefined. */
async function readIfSmall(file: string): Promise<Buffer | undefined> {
  const handle = await open(file)
  try {
    const { size } = await handle.stat()
    if (size > READ_WHOLE_BYTES) return undefined
    // read to the end rather than to the size taken: a file that grows meanwhile is still read whole
    const contents = await handle.readFile()
    return contents.length > READ_WHOLE_BYTES ? undefined : contents
  } finally {
    await handle.close()
  }
}

function digestOf(contents: Buffer): DropContent {
  const digest = new ContentDigest()
  digest.update(contents)
  return digest.content()
}

async function sha256Of(chunks: AsyncIterable<Buffer>): Promise<DropContent> {
  const digest = new ContentDigest()
  for await (const chunk of chunks) digest.update(chunk)
  return digest.content()
}

function dropIdOf(feed: string, dropDate: string, sha256: string): string {
  return `${feed}-${dropDate}-${sha256.slice(0, 16)}`
}

/** `windows-1252` when the name declares it (`*.windows-1252.csv`, `*.cp1252.csv`), else UTF-8. */
function declaredEncoding(name: string): Encoding {
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
  try {
    return await ingestOnce(request)
  } catch (error) {
    throw namingTheDrop(request.sourceName, error)
  }
}

/** A system error (its code is errno's name: ENOSPC, EIO) says what failed, but not for which drop. */
export function namingTheDrop(sourceName: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return error instanceof Error &&
    !(error instanceof DropNotStoredError) &&
    typeof code === 'string' &&
    /^E[A-Z]+$/.test(code)
    ? new DropNotStoredError(sourceName, code, error)
    : error
}

async function ingestOnce(request: IngestRequest): Promise<IngestResult> {
  const started = performance.now()
  const { store, feed, dropDate } = request
  if (!isDay(dropDate)) throw new Error(`drop date ${JSON.stringify(dropDate)} is not YYYY-MM-DD`)
  const contract = contractFor(feed)
  const pseudonymiser = pseudonymiserFor(request)
  const contents = request.content ? undefined : await readIfSmall(request.file)
  const refusal = dropDateRefusal(dropDate, request.clock.now())
  const hashing: Promise<DropContent> = request.content
    ? Promise.resolve(request.content)
    : contents
      ? Promise.resolve(digestOf(contents))
      : readChunks(request.file, HASH_CHUNK_BYTES).then(sha256Of)
  // A large local drop is copied into landing/ while it is hashed (a second of a 1 GB drop): the copy needs the
  // hash only when another drop took its name. A refused drop stays out of the lake; a small one is stored after
  // the check for its manifest, so that a drop ingested again does not read its landing copy.
  const copying =
    request.landingKey === undefined && contents === undefined && !request.content && refusal === undefined
      ? storeInLanding(request, hashing, undefined)
      : undefined
  // its failure is thrown where it is awaited, or lost with the error that ended the ingest before that
  copying?.catch(() => undefined)
  let content: DropContent
  try {
    content = await hashing
  } catch (error) {
    await copying?.catch(() => undefined)
    throw error
  }
  const { sha256, bytes } = content
  const dropId = dropIdOf(feed, dropDate, sha256)
  if (refusal !== undefined) {
    const rejection = new DropDateRefusedError(request.sourceName, refusal)
    // A drop already in landing/ (an S3 delivery) gets its rejection recorded beside it, as an unreadable drop
    // does; a local file stays out of the lake, where its mistyped date would make a folder of its own.
    if (request.landingKey !== undefined) {
      await recordRejection(store, { feed, dropDate, dropId, sourceName: request.sourceName }, rejection)
    }
    throw rejection
  }
  const hashed = performance.now()
  const manifestKey = ingestManifestKey(feed, dropId)
  if (await store.exists(manifestKey)) {
    await copying
    return {
      manifest: JSON.parse((await store.getBytes(manifestKey)).toString('utf8')),
      outcome: 'already-ingested',
    }
  }
  const landed = request.landingKey ?? (await (copying ?? storeInLanding(request, hashing, contents)))
  const ingestedAt = await claim(store, feed, dropId, request.clock)
  const encoding = request.encoding ?? declaredEncoding(request.sourceName)
  const accuracyLimitM = request.accuracyLimitM ?? DEFAULT_PING_ACCURACY_LIMIT_M
  const work = await makeWorkFolder('ingest')
  try {
    const scanInput: ScanInput = {
      contract,
      file: request.file,
      contents,
      sourceName: request.sourceName,
      dropId,
      dropDate,
      ingestedAtMs: Date.parse(ingestedAt),
      encoding,
      format: request.format ?? defaultFormat(request.sourceName),
      notAfterMs: request.clock.now().getTime() + FUTURE_TOLERANCE_MS,
      quarantineMaxBytes: request.quarantineMaxBytes ?? QUARANTINE_MAX_BYTES,
      pseudonymiser,
      accuracyLimitM,
      onProgress: request.onProgress,
    }
    let scan: ScanResult
    let scanPath: IngestManifest['scan_path'] = 'columnar'
    try {
      const columnar = await request.columnar?.(scanInput, work)
      if (columnar) scan = columnar
      else {
        scanPath = 'row'
        scan = await scanDrop(scanInput, work, new Set())
      }
      if (scan.repeats.size > 0) {
        // set aside for good: the temporary folder holds one pass's files at a time
        await Promise.all([scan.curated, scan.quarantine].filter(isLocalFile).map(({ file }) => rm(file)))
        scan = await scanDrop(scanInput, work, scan.repeats)
      }
    } catch (error) {
      const rejection =
        error instanceof UndecodableError
          ? new FileRejectedError(request.sourceName, error.message, error.line)
          : error
      if (rejection instanceof FileRejectedError) {
        await recordRejection(store, { feed, dropDate, dropId, sourceName: request.sourceName }, rejection)
      }
      throw rejection
    }
    const scanned = performance.now()
    const outputs = {
      curated: scan.accepted > 0 ? curatedKey(feed, dropDate, dropId) : null,
      quarantine: scan.quarantined > 0 ? quarantineKey(feed, dropDate, dropId) : null,
    }
    if (outputs.curated) {
      await store.create(outputs.curated, scan.curated, { contentType: 'application/vnd.apache.parquet' })
    }
    if (outputs.quarantine) {
      await store.create(outputs.quarantine, scan.quarantine, { contentType: 'application/x-ndjson' })
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
      landing_version_id: request.landingVersionId ?? null,
      ingested_at: ingestedAt,
      rows_in: scan.rowsIn,
      rows_accepted: scan.accepted,
      rows_quarantined: scan.quarantined,
      rows_duplicate: scan.duplicate,
      quarantined_by_code: scan.byCode,
      quarantine_truncated: scan.quarantineTruncated,
      outputs,
      scan_path: scanPath,
      passes: scan.pass,
      pseudonym_key_id: pseudonymiser ? (request.pseudonymKey as PseudonymKey).id : null,
      accuracy_limit_m: contract.accuracyFlag ? accuracyLimitM : null,
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
    await removeWorkFolder(work)
  }
}

function pseudonymiserFor(request: IngestRequest): Pseudonymiser | undefined {
  const { pseudonymised, feed } = contractFor(request.feed)
  if (pseudonymised === undefined) return undefined
  if (!request.pseudonymKey) {
    throw new PseudonymKeyMissingError(
      `${request.sourceName}: not ingested: ${feed} drops store ${Object.keys(pseudonymised).join(', ')} ` +
        'as keyed pseudonyms, and no pseudonymisation key is configured',
    )
  }
  return new Pseudonymiser(request.pseudonymKey, pseudonymised)
}

function assertInvariant(
  m: Pick<IngestManifest, 'rows_in' | 'rows_accepted' | 'rows_quarantined' | 'rows_duplicate' | 'drop_id'>,
): void {
  if (m.rows_in !== m.rows_accepted + m.rows_quarantined + m.rows_duplicate) {
    throw new InvariantError(
      `invariant broken for ${m.drop_id}: rows_in ${m.rows_in} != accepted ${m.rows_accepted} + quarantined ` +
        `${m.rows_quarantined} + duplicate ${m.rows_duplicate}`,
    )
  }
}

async function storeInLanding(
  request: IngestRequest,
  hashing: Promise<DropContent>,
  contents: Buffer | undefined,
): Promise<string> {
  // the bytes hashed and scanned are the bytes stored
  const body = contents ?? { file: request.file }
  const name = path.basename(request.sourceName)
  const key = landingKey(request.feed, request.dropDate, name)
  if ((await request.store.create(key, body)) === 'created') return key
  const { sha256 } = await hashing
  if ((await sha256Of(await request.store.get(key))).sha256 === sha256) return key
  // another drop of the same day under the same name (a correction): keep both, as delivered
  const ext = path.extname(name)
  const renamed = landingKey(
    request.feed,
    request.dropDate,
    `${name.slice(0, name.length - ext.length)}.${sha256.slice(0, 16)}${ext}`,
  )
  await request.store.create(renamed, body)
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

async function recordRejection(
  store: ObjectStore,
  drop: { feed: FeedName; dropDate: string; dropId: string; sourceName: string },
  rejection: FileRejectedError,
): Promise<void> {
  const record: QuarantineRecord = {
    drop_id: drop.dropId,
    feed: drop.feed,
    file: drop.sourceName,
    line: rejection.line ?? 0,
    column: null,
    code: 'file_rejected',
    reason: rejection.reason,
  }
  await store.create(quarantineKey(drop.feed, drop.dropDate, drop.dropId), `${JSON.stringify(record)}\n`, {
    contentType: 'application/x-ndjson',
  })
}
