import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { Tracer } from '@aws-lambda-powertools/tracer'
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type PutObjectCommandInput,
  paginateListObjectsV2,
  S3Client,
  type S3ClientConfig,
  type S3ServiceException,
} from '@aws-sdk/client-s3'
import {
  assertValidKey,
  isLocalFile,
  type ObjectBody,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type ReadOptions,
  type WriteOptions,
} from '../core/ports.ts'
import { type RetryPolicy, type RetryTiming, withRetries } from '../core/retry.ts'

export interface S3ObjectStoreOptions {
  bucket: string
  /** Default: s3Client(). */
  client?: S3Client
  /** Traces every call of the client (the Lambdas' Powertools tracer; X-Ray is on in the stack). */
  tracer?: Pick<Tracer, 'captureAWSv3Client'>
  /**
   * Tries of a conditional create answered 409 ConditionalRequestConflict (a concurrent write in flight), and
   * the waits between them (default CONFLICT_RETRY).
   */
  conflictRetry?: Partial<RetryPolicy>
  /** Test seams: waiting between conflicted creates, and the jitter source. */
  timing?: Partial<RetryTiming>
  /**
   * Object Lock retention for keys under `prefixes` (archive/ and manifests/: what was sent and how results were
   * made). The bucket refuses unlocked writes there, so each write sets its own retention.
   */
  objectLock?: ObjectLockSettings
}

export interface ObjectLockSettings {
  mode: 'GOVERNANCE' | 'COMPLIANCE'
  days: number
  prefixes: readonly string[]
}

/**
 * Attempts of one S3 call: the SDK's standard retry mode retries throttling (503 SlowDown), 5xx answers and
 * dropped connections, with backoff. A 409 conflict is not among them: `create` retries it (CONFLICT_RETRY).
 */
export const S3_MAX_ATTEMPTS = 3

/** The S3 client the store makes, its retries set (S3_MAX_ATTEMPTS). */
export function s3Client(config: Omit<S3ClientConfig, 'maxAttempts' | 'retryMode'> = {}): S3Client {
  return new S3Client({ ...config, maxAttempts: S3_MAX_ATTEMPTS, retryMode: 'standard' })
}

/** A conflicting write is in flight for well under a second: four retries within about 3 s. */
export const CONFLICT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 2000 }

/**
 * The lake in an S3 bucket. `create` sends `If-None-Match: *`: 412 means another writer created the key first
 * (reported as `exists`), 409 means a conflicting write was still in flight, so the request is retried.
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string
  private readonly client: S3Client
  private readonly bucket: string
  private readonly conflictRetry: RetryPolicy
  private readonly timing: Partial<RetryTiming>
  private readonly objectLock: ObjectLockSettings | undefined

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket
    this.client = options.client ?? s3Client()
    options.tracer?.captureAWSv3Client(this.client)
    this.location = `s3://${options.bucket}`
    this.conflictRetry = { ...CONFLICT_RETRY, ...options.conflictRetry }
    this.timing = options.timing ?? {}
    this.objectLock = options.objectLock
  }

  async get(key: string, options: ReadOptions = {}): Promise<Readable> {
    assertValidKey(key)
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: options.versionId }),
      )
      if (!(response.Body instanceof Readable)) throw new Error(`S3 returned no stream for ${key}`)
      return response.Body
    } catch (error) {
      throw this.translate(error, key)
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const chunk of await this.get(key)) chunks.push(Buffer.from(chunk as Uint8Array))
    return Buffer.concat(chunks)
  }

  async exists(key: string): Promise<boolean> {
    assertValidKey(key)
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      return true
    } catch (error) {
      if (this.translate(error, key) instanceof ObjectNotFoundError) return false
      throw error
    }
  }

  async put(key: string, body: ObjectBody, options: WriteOptions = {}): Promise<void> {
    const input = await this.putInput(key, body, options)
    try {
      await this.client.send(new PutObjectCommand(input))
    } finally {
      closeOpenedFile(body, input)
    }
  }

  async create(key: string, body: ObjectBody, options: WriteOptions = {}): Promise<'created' | 'exists'> {
    // a plain stream can be sent once only, so only reopenable bodies are retried after a 409
    const retry = body instanceof Readable ? { ...this.conflictRetry, attempts: 1 } : this.conflictRetry
    return withRetries(
      async () => {
        const input = await this.putInput(key, body, options)
        try {
          await this.client.send(new PutObjectCommand({ ...input, IfNoneMatch: '*' }))
          return 'created'
        } catch (error) {
          if (statusOf(error) !== 412) throw error
          // as on disk: the caller's stream is not wanted any more (S3 may have answered without reading it)
          if (body instanceof Readable) body.destroy()
          return 'exists'
        } finally {
          closeOpenedFile(body, input)
        }
      },
      retry,
      (error) => statusOf(error) === 409,
      this.timing,
    )
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix },
    )) {
      for (const item of page.Contents ?? []) {
        if (item.Key !== undefined) yield { key: item.Key }
      }
    }
  }

  private async putInput(
    key: string,
    body: ObjectBody,
    options: WriteOptions,
  ): Promise<PutObjectCommandInput> {
    assertValidKey(key)
    const lock = this.lockFor(key)
    if (isLocalFile(body)) {
      const { size } = await stat(body.file)
      return {
        Bucket: this.bucket,
        Key: key,
        Body: createReadStream(body.file),
        ContentLength: size,
        ContentType: options.contentType,
        ...lock,
      }
    }
    if (body instanceof Readable && options.contentLength === undefined) {
      throw new Error(`put of a stream to ${this.location}/${key} needs contentLength`)
    }
    return {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: options.contentType,
      ContentLength: body instanceof Readable ? options.contentLength : undefined,
      ...lock,
    }
  }

  /** Retention for a key under a locked prefix; S3 wants an integrity checksum with every Object Lock write. */
  private lockFor(key: string): Partial<PutObjectCommandInput> {
    const settings = this.objectLock
    if (!settings?.prefixes.some((prefix) => key.startsWith(prefix))) return {}
    return {
      ObjectLockMode: settings.mode,
      ObjectLockRetainUntilDate: new Date(Date.now() + settings.days * 86_400_000),
      ChecksumAlgorithm: 'CRC32',
    }
  }

  private translate(error: unknown, key: string): unknown {
    if (error instanceof NoSuchKey || error instanceof NotFound)
      return new ObjectNotFoundError(key, this.location)
    // any other 404 without a more specific name (HEAD responses carry no error code); a missing bucket
    // (NoSuchBucket, also 404) is a configuration error, not a missing object
    const { name, $metadata } = (error ?? {}) as Partial<S3ServiceException>
    if ($metadata?.httpStatusCode === 404 && name !== 'NoSuchBucket')
      return new ObjectNotFoundError(key, this.location)
    return error
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as Partial<S3ServiceException> | undefined)?.$metadata?.httpStatusCode
}

/**
 * Closes the read stream `putInput` opened for a local file. S3 may answer (412, 409, 403) before it has read
 * the body, for example after `Expect: 100-continue`, and the stream would then hold its file descriptor.
 */
function closeOpenedFile(body: ObjectBody, input: PutObjectCommandInput): void {
  if (isLocalFile(body) && input.Body instanceof Readable) input.Body.destroy()
}
