import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Tracer } from '@aws-lambda-powertools/tracer'
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
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

export interface S3ObjectStoreOptions {
  bucket: string
  client?: S3Client
  /** Traces every call of the client (the Lambdas' Powertools tracer; X-Ray is on in the stack). */
  tracer?: Pick<Tracer, 'captureAWSv3Client'>
  /** Attempts for a conditional create answered 409 ConditionalRequestConflict (a concurrent write in flight). */
  conflictAttempts?: number
  conflictBackoffMs?: number
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
 * The lake in an S3 bucket. `create` sends `If-None-Match: *`: 412 means another writer created the key first
 * (reported as `exists`), 409 means a conflicting write was still in flight, so the request is retried.
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string
  private readonly client: S3Client
  private readonly bucket: string
  private readonly conflictAttempts: number
  private readonly conflictBackoffMs: number
  private readonly objectLock: ObjectLockSettings | undefined

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket
    this.client = options.client ?? new S3Client({})
    options.tracer?.captureAWSv3Client(this.client)
    this.location = `s3://${options.bucket}`
    this.conflictAttempts = options.conflictAttempts ?? 5
    this.conflictBackoffMs = options.conflictBackoffMs ?? 200
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
    const attempts = body instanceof Readable ? 1 : this.conflictAttempts
    for (let attempt = 1; ; attempt++) {
      const input = await this.putInput(key, body, options)
      try {
        await this.client.send(new PutObjectCommand({ ...input, IfNoneMatch: '*' }))
        return 'created'
      } catch (error) {
        const status = (error as S3ServiceException).$metadata?.httpStatusCode
        if (status === 412) {
          // as on disk: the caller's stream is not wanted any more (S3 may have answered without reading it)
          if (body instanceof Readable) body.destroy()
          return 'exists'
        }
        if (status === 409 && attempt < attempts) {
          await sleep(this.conflictBackoffMs * 2 ** (attempt - 1))
          continue
        }
        throw error
      } finally {
        closeOpenedFile(body, input)
      }
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      )
      for (const item of page.Contents ?? []) {
        if (item.Key !== undefined) yield { key: item.Key, size: item.Size ?? 0 }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
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

/**
 * Closes the read stream `putInput` opened for a local file. S3 may answer (412, 409, 403) before it has read
 * the body, for example after `Expect: 100-continue`, and the stream would then hold its file descriptor.
 */
function closeOpenedFile(body: ObjectBody, input: PutObjectCommandInput): void {
  if (isLocalFile(body) && input.Body instanceof Readable) input.Body.destroy()
}
