import { Readable } from 'node:stream'
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock'
import { commandLog, failureQueue, type SentCommand } from './sdk-fake.ts'

/**
 * An in-memory S3 behind aws-sdk-client-mock: every `S3Client#send` of the four commands the lake uses is
 * answered the way S3 answers it (error names, HTTP status codes, `If-None-Match: *`, paged listings in UTF-8
 * byte order), so an adapter tested against it is tested against S3's contract, not against a stub's.
 */

export type FakeCommand = 'GetObject' | 'HeadObject' | 'PutObject' | 'ListObjectsV2'

export interface FakeObject {
  body: Buffer
  contentType?: string
}

export interface FakeS3 {
  mock: AwsClientStub<S3Client>
  buckets: Map<string, Map<string, FakeObject>>
  /** Objects of one bucket (created on first use by `seed`). */
  objects(bucket: string): Map<string, FakeObject>
  seed(bucket: string, key: string, body: Buffer | string): void
  /** Keys of a bucket in S3's order. */
  keys(bucket: string): string[]
  text(bucket: string, key: string): string | undefined
  /** The next calls of `command` fail with these errors, in order, before touching the bucket. */
  failNext(command: FakeCommand, ...errors: Error[]): void
  /** Every command sent so far, in order, as `{ command: 'PutObject', input }`. */
  sent(): SentCommand[]
  /** Forgets the recorded calls (the objects stay). */
  clearCalls(): void
  restore(): void
}

export interface FakeS3Options {
  buckets?: string[]
  /** Largest page ListObjectsV2 returns, whatever MaxKeys asks for (S3's own cap is 1000). */
  pageSize?: number
}

export function s3Error(name: string, httpStatusCode: number, message = name): S3ServiceException {
  const options = {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message,
    $metadata: { httpStatusCode },
  } as const
  switch (name) {
    case 'NoSuchKey':
      return new NoSuchKey({ ...options, $fault: 'client' } as ConstructorParameters<typeof NoSuchKey>[0])
    case 'NotFound':
      return new NotFound({ ...options, $fault: 'client' } as ConstructorParameters<typeof NotFound>[0])
    case 'NoSuchBucket':
      return new NoSuchBucket({ ...options, $fault: 'client' } as ConstructorParameters<
        typeof NoSuchBucket
      >[0])
    default:
      return new S3ServiceException(options)
  }
}

export const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

async function bytesOf(body: unknown): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0)
  if (typeof body === 'string') return Buffer.from(body, 'utf8')
  if (body instanceof Uint8Array) return Buffer.from(body)
  if (body instanceof Readable) {
    const chunks: Buffer[] = []
    for await (const chunk of body)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))
    return Buffer.concat(chunks)
  }
  throw new Error(`fake S3: unsupported body type ${Object.prototype.toString.call(body)}`)
}

export function fakeS3(options: FakeS3Options = {}): FakeS3 {
  const buckets = new Map<string, Map<string, FakeObject>>()
  for (const name of options.buckets ?? ['lake']) buckets.set(name, new Map())
  const pageSize = options.pageSize ?? 1000
  const failures = failureQueue<FakeCommand>()
  const log = commandLog()
  const mock = mockClient(S3Client)

  const bucketOf = (name: unknown): Map<string, FakeObject> => {
    const bucket = buckets.get(String(name))
    if (!bucket) throw s3Error('NoSuchBucket', 404, 'The specified bucket does not exist')
    return bucket
  }

  mock.on(GetObjectCommand).callsFake(async (input) => {
    log.record('GetObject', input)
    failures.throwIfQueued('GetObject')
    const object = bucketOf(input.Bucket).get(input.Key)
    if (!object) throw s3Error('NoSuchKey', 404, 'The specified key does not exist.')
    return {
      Body: Readable.from([object.body]),
      ContentLength: object.body.length,
      ContentType: object.contentType,
      $metadata: { httpStatusCode: 200 },
    }
  })

  mock.on(HeadObjectCommand).callsFake(async (input) => {
    log.record('HeadObject', input)
    failures.throwIfQueued('HeadObject')
    const object = bucketOf(input.Bucket).get(input.Key)
    // HEAD responses have no body, so S3's 404 carries no error code: the SDK names it NotFound
    if (!object) throw s3Error('NotFound', 404, 'Not Found')
    return {
      ContentLength: object.body.length,
      ContentType: object.contentType,
      $metadata: { httpStatusCode: 200 },
    }
  })

  mock.on(PutObjectCommand).callsFake(async (input) => {
    log.record('PutObject', input)
    failures.throwIfQueued('PutObject')
    const bucket = bucketOf(input.Bucket)
    if (input.Body instanceof Readable && input.ContentLength === undefined) {
      throw s3Error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.')
    }
    const body = await bytesOf(input.Body)
    if (input.ContentLength !== undefined && input.ContentLength !== body.length) {
      throw s3Error(
        'IncompleteBody',
        400,
        `Content-Length ${input.ContentLength} but ${body.length} bytes were sent`,
      )
    }
    // S3 decides a conditional write when the upload completes: the first to complete wins
    if (input.IfNoneMatch === '*' && bucket.has(input.Key)) {
      throw s3Error(
        'PreconditionFailed',
        412,
        'At least one of the pre-conditions you specified did not hold',
      )
    }
    bucket.set(input.Key, { body, contentType: input.ContentType })
    return { ETag: '"fake"', $metadata: { httpStatusCode: 200 } }
  })

  mock.on(ListObjectsV2Command).callsFake(async (input) => {
    log.record('ListObjectsV2', input)
    failures.throwIfQueued('ListObjectsV2')
    const prefix: string = input.Prefix ?? ''
    const after: string | undefined = input.ContinuationToken
      ? Buffer.from(input.ContinuationToken, 'base64url').toString('utf8')
      : input.StartAfter
    const keys = [...bucketOf(input.Bucket).keys()]
      .filter((k) => k.startsWith(prefix) && (after === undefined || byUtf8(k, after) > 0))
      .sort(byUtf8)
    const page = keys.slice(0, Math.min(input.MaxKeys ?? 1000, pageSize))
    const truncated = keys.length > page.length
    const bucket = bucketOf(input.Bucket)
    return {
      Contents:
        page.length > 0 ? page.map((Key) => ({ Key, Size: bucket.get(Key)?.body.length })) : undefined,
      KeyCount: page.length,
      IsTruncated: truncated,
      NextContinuationToken: truncated
        ? Buffer.from(page.at(-1) as string, 'utf8').toString('base64url')
        : undefined,
      $metadata: { httpStatusCode: 200 },
    }
  })

  const objects = (name: string) => {
    let bucket = buckets.get(name)
    if (!bucket) {
      bucket = new Map()
      buckets.set(name, bucket)
    }
    return bucket
  }

  return {
    mock,
    buckets,
    objects,
    seed: (bucket, key, body) => {
      objects(bucket).set(key, { body: Buffer.from(body) })
    },
    keys: (bucket) => [...objects(bucket).keys()].sort(byUtf8),
    text: (bucket, key) => objects(bucket).get(key)?.body.toString('utf8'),
    failNext: failures.failNext,
    sent: log.sent,
    clearCalls: () => {
      mock.resetHistory()
      log.clear()
    },
    restore: () => mock.restore(),
  }
}
