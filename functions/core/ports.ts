import { Readable } from 'node:stream'
import type { ReportKind } from './reports/model.ts'

/** A file on the local disk: reopenable (so a conflicted create can be retried) and of known length. */
export interface LocalFile {
  file: string
}

/** Body accepted by `ObjectStore.put`/`create`. A stream needs `contentLength` on S3 and is sent once. */
export type ObjectBody = Uint8Array | string | Readable | LocalFile

export function isLocalFile(body: ObjectBody): body is LocalFile {
  return (
    typeof body === 'object' &&
    body !== null &&
    !(body instanceof Uint8Array) &&
    !(body instanceof Readable) &&
    'file' in body
  )
}

export interface WriteOptions {
  contentType?: string
  /** Required by S3 when the body is a stream; ignored by the filesystem adapter. */
  contentLength?: number
}

export interface ReadOptions {
  /**
   * One version of a versioned object (S3's VersionId, as an S3 event names it), not the key's current one. A
   * store without versions (the filesystem) refuses it rather than read another version.
   */
  versionId?: string
}

/** A listed object: its key alone (what every reader needs; a size would cost the filesystem a stat per key). */
export interface ObjectInfo {
  key: string
}

/**
 * The lake's storage. Keys are `/`-separated relative paths (DESIGN section 5) and mean the same thing on
 * S3 and on disk. Objects are immutable once created: `create` is the only write the pipeline relies on for
 * idempotency, and it reports an existing object instead of replacing it.
 */
export interface ObjectStore {
  /** Human-readable location, e.g. `s3://bucket` or `/path/to/lake`. */
  readonly location: string
  get(key: string, options?: ReadOptions): Promise<Readable>
  getBytes(key: string): Promise<Buffer>
  exists(key: string): Promise<boolean>
  /** Unconditional write (replaces an existing object). */
  put(key: string, body: ObjectBody, options?: WriteOptions): Promise<void>
  /** Conditional create: `created` when the key was free, `exists` when another writer got there first. */
  create(key: string, body: ObjectBody, options?: WriteOptions): Promise<'created' | 'exists'>
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>
}

export class ObjectNotFoundError extends Error {
  override name = 'ObjectNotFoundError'
  constructor(
    readonly key: string,
    readonly location: string,
  ) {
    super(`no object at ${key} in ${location}`)
  }
}

export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError'
  constructor(readonly key: string) {
    super(
      `invalid object key ${JSON.stringify(key)}: keys are relative '/'-separated paths without '.' or '..' segments`,
    )
  }
}

export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0')
  ) {
    throw new InvalidKeyError(key)
  }
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') throw new InvalidKeyError(key)
  }
}

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export function fixedClock(at: Date | string): Clock {
  const instant = new Date(at)
  return { now: () => new Date(instant) }
}

/**
 * A SQL engine over the lake: Athena in AWS, DuckDB locally. Queries are SELECTs in the portable Trino subset
 * (queries/README.md) with positional `?` parameters, each given as text and cast in the SQL
 * (`cast(? as date)`). Values come back as text (or null) whatever the engine; the caller types them by the
 * columns it declared, so both engines feed the same code. What an engine can do besides is a port of its own
 * (StagingBuilder), asked for by capability, never by name.
 */
export interface QueryEngine {
  /** Recorded in a run's manifest: which engine computed its results. Nothing is decided by it. */
  readonly name: string
  query(sql: string, parameters: readonly string[], options?: QueryOptions): Promise<QueryResult>
}

/**
 * An engine that can keep tables for the length of a run builds the run's staging relations once, before its
 * marts, and each mart reads them by name (mart-sql.ts); an engine without this capability (Athena keeps
 * nothing between queries) gets each mart with its staging inlined as CTEs.
 */
export interface StagingBuilder {
  /** Builds every staging relation it is given, in map order, and returns the names of those built. */
  prepareStaging(staging: ReadonlyMap<string, StagingTable>): Promise<ReadonlySet<string>>
}

export function buildsStaging(engine: QueryEngine): engine is QueryEngine & StagingBuilder {
  return typeof (engine as Partial<StagingBuilder>).prepareStaging === 'function'
}

/**
 * An engine whose views list the lake's files when made (the local DuckDB): it makes them again so that a
 * query sees the results written since. An engine without it (Athena, by partition projection) sees them anyway.
 */
export interface ViewRefresher {
  refresh(): Promise<void>
}

export function refreshesViews(engine: QueryEngine): engine is QueryEngine & ViewRefresher {
  return typeof (engine as Partial<ViewRefresher>).refresh === 'function'
}

/** A staging query as an engine that builds staging as tables gets it. */
export interface StagingTable {
  /** Reads the staging tables before it in the map by name. */
  sql: string
  /**
   * Every word the queries that read this table use (their own text, and the words of the queries reading
   * those): a column whose name is not among them is read by no one, and need not be computed or kept.
   */
  readerWords: ReadonlySet<string>
}

export interface QueryOptions {
  /** A short label for logs and errors. */
  label?: string
  /** The as-of date of the run the query belongs to: part of Athena's idempotency token. */
  asOf?: string
  /**
   * A digest of what the query reads (the drops visible as of `asOf`): part of Athena's idempotency token, so a
   * retry reuses the execution but a rerun after new data (a same-day correction) does not get stale results.
   */
  inputs?: string
  /**
   * The longest the caller may wait for this query, in milliseconds (a Lambda's remaining time, say). An engine
   * that runs queries elsewhere (Athena) stops the query still running then and throws; the engine's own limit
   * still applies when shorter. An engine running in the process (DuckDB) ignores it.
   */
  timeoutMs?: number
}

export interface QueryResult {
  columns: { name: string; type: string }[]
  rows: (string | null)[][]
  stats: {
    elapsed_ms: number
    /** Athena's DataScannedInBytes; undefined on DuckDB. */
    bytes_scanned?: number
    /** Athena's QueryExecutionId. */
    execution_id?: string
  }
}

/**
 * A composed report email as a mailer gets it: what it is, as data, and the exact MIME bytes with the envelope
 * they go to. The mailer sends `raw` unchanged (the archived .eml is exactly what went out) and reads nothing
 * back out of it.
 */
export interface ReportMessage {
  report: ReportKind
  /** The period id: `2026-W46`, `2026-10`. */
  period: string
  /** The recipient's key in the recipients file (`CMD-001`). */
  recipientKey: string
  /** 0 as first sent; n for its nth explicit resend. */
  resend: number
  /** The Message-ID header, angle brackets included. */
  messageId: string
  subject: string
  /** The envelope: MAIL FROM and RCPT TO. */
  from: string
  to: string[]
  raw: Buffer
}

/** Why a send failed, as delivery needs to know it: try again later, stop the run, or give up on this address. */
export type SendFailureKind = 'throttled' | 'quota-exceeded' | 'suppressed' | 'rejected' | 'transient'

export class SendError extends Error {
  override name = 'SendError'
  constructor(
    readonly kind: SendFailureKind,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message)
  }
}

/**
 * Sends email: SES (SESv2) in AWS, SMTP or an outbox folder of .eml files locally. It sends the bytes given,
 * unchanged, so the archived .eml is exactly what went out. Failures are thrown as SendError.
 */
export interface Mailer {
  readonly name: 'ses' | 'smtp' | 'outbox'
  send(message: ReportMessage): Promise<{ messageId: string }>
}
