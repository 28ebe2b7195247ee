import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  CONFLICT_RETRY,
  S3_MAX_ATTEMPTS,
  S3ObjectStore,
  s3Client,
} from '../../functions/adapters/s3-object-store.ts'
import { type ObjectInfo, ObjectNotFoundError } from '../../functions/core/ports.ts'
import { type FakeS3, fakeS3, s3Error } from './helpers/fake-s3.ts'

const BUCKET = 'hotspot-lake-test'
const KEY = 'manifests/ingest/incidents/incidents-2026-03-02-0123456789abcdef.json'

const conflict = () =>
  s3Error('ConditionalRequestConflict', 409, 'A conflicting conditional operation is in progress')

describe('S3ObjectStore: the commands it sends and how it reads the answers', () => {
  let s3: FakeS3
  let store: S3ObjectStore
  let scratch: string
  /** The waits between conflicted creates. */
  let waits: number[]

  beforeEach(async () => {
    s3 = fakeS3({ buckets: [BUCKET] })
    waits = []
    store = new S3ObjectStore({
      bucket: BUCKET,
      client: new S3Client({ region: 'eu-west-2' }),
      conflictRetry: { attempts: 3 },
      timing: {
        random: () => 0.5,
        sleep: async (ms) => {
          waits.push(ms)
        },
      },
    })
    scratch = await mkdtemp(path.join(tmpdir(), 's3-object-store-'))
  })
  afterEach(async () => {
    s3.restore()
    await rm(scratch, { recursive: true, force: true })
  })

  const puts = () => s3.sent().filter((c) => c.command === 'PutObject')

  it('get sends GetObject for the bucket and key and returns the body stream', async () => {
    s3.seed(BUCKET, KEY, '{"rows_in":1}')
    const stream = await store.get(KEY)
    expect(stream).toBeInstanceOf(Readable)
    expect(s3.sent()).toEqual([{ command: 'GetObject', input: { Bucket: BUCKET, Key: KEY } }])
    expect((await store.getBytes(KEY)).toString()).toBe('{"rows_in":1}')
  })

  it('exists sends HeadObject and reads 404 NotFound as false', async () => {
    s3.seed(BUCKET, KEY, 'x')
    expect(await store.exists(KEY)).toBe(true)
    expect(await store.exists(`${KEY}.missing`)).toBe(false)
    expect(s3.sent()).toEqual([
      { command: 'HeadObject', input: { Bucket: BUCKET, Key: KEY } },
      { command: 'HeadObject', input: { Bucket: BUCKET, Key: `${KEY}.missing` } },
    ])
  })

  it('put of bytes sends one unconditional PutObject, and lets the SDK compute the length', async () => {
    await store.put(KEY, new Uint8Array([1, 2, 3]), { contentType: 'application/octet-stream' })
    expect(puts()).toHaveLength(1)
    const { input } = puts()[0] as { input: Record<string, unknown> }
    expect(input).toMatchObject({ Bucket: BUCKET, Key: KEY, ContentType: 'application/octet-stream' })
    expect(input.IfNoneMatch).toBeUndefined()
    expect(input.ContentLength).toBeUndefined()
  })

  it('put of a stream sends its ContentLength, and refuses a stream without one before sending anything', async () => {
    await store.put(KEY, Readable.from([Buffer.from('abc'), Buffer.from('de')]), { contentLength: 5 })
    expect(puts()[0]?.input).toMatchObject({ Bucket: BUCKET, Key: KEY, ContentLength: 5 })
    expect(s3.text(BUCKET, KEY)).toBe('abcde')

    s3.clearCalls()
    await expect(store.put(KEY, Readable.from(['x']))).rejects.toThrow(/needs contentLength/)
    await expect(store.create(KEY, Readable.from(['x']))).rejects.toThrow(/needs contentLength/)
    expect(s3.sent()).toEqual([])
  })

  it('put and create of a local file send a file stream with the file size as ContentLength, then close it', async () => {
    const file = path.join(scratch, 'drop.parquet')
    await writeFile(file, Buffer.alloc(12_345, 7))
    await store.put('curated/a.parquet', { file }, { contentType: 'application/vnd.apache.parquet' })
    expect(await store.create('curated/b.parquet', { file })).toBe('created')
    const [put, create] = puts()
    expect(put?.input).toMatchObject({
      Bucket: BUCKET,
      Key: 'curated/a.parquet',
      ContentLength: 12_345,
      ContentType: 'application/vnd.apache.parquet',
    })
    expect(put?.input.IfNoneMatch).toBeUndefined()
    expect(create?.input).toMatchObject({
      Bucket: BUCKET,
      Key: 'curated/b.parquet',
      ContentLength: 12_345,
      IfNoneMatch: '*',
    })
    for (const call of [put, create]) {
      expect(call?.input.Body).toBeInstanceOf(Readable)
      expect((call?.input.Body as Readable | undefined)?.destroyed).toBe(true)
    }
  })

  it('locks records under the locked prefixes (Object Lock retention with a checksum), and nothing else', async () => {
    const locked = new S3ObjectStore({
      bucket: BUCKET,
      client: new S3Client({ region: 'eu-west-2' }),
      objectLock: { mode: 'GOVERNANCE', days: 2557, prefixes: ['archive/', 'manifests/'] },
    })
    const before = Date.now()
    await locked.create('manifests/runs/r1.json', '{}')
    await locked.create('archive/weekly/2026-W46/CMD-1.eml', 'raw')
    await locked.create('ledger/weekly/2026-W46/CMD-1.json', '{}')
    const [manifest, archive, ledger] = puts().map((c) => c.input)
    for (const input of [manifest, archive]) {
      expect(input).toMatchObject({
        ObjectLockMode: 'GOVERNANCE',
        ChecksumAlgorithm: 'CRC32',
        IfNoneMatch: '*',
      })
      const until = (input as { ObjectLockRetainUntilDate: Date }).ObjectLockRetainUntilDate.getTime()
      expect(until).toBeGreaterThanOrEqual(before + 2557 * 86_400_000)
      expect(until).toBeLessThanOrEqual(Date.now() + 2557 * 86_400_000)
    }
    expect(ledger).not.toHaveProperty('ObjectLockMode')
    expect(ledger).not.toHaveProperty('ObjectLockRetainUntilDate')
  })

  it("create sends PutObject with IfNoneMatch '*' and the content type", async () => {
    expect(await store.create(KEY, '{}\n', { contentType: 'application/json' })).toBe('created')
    expect(puts()).toHaveLength(1)
    expect(puts()[0]?.input).toMatchObject({
      Bucket: BUCKET,
      Key: KEY,
      Body: '{}\n',
      IfNoneMatch: '*',
      ContentType: 'application/json',
    })
  })

  it("create reads 412 PreconditionFailed as 'exists' and sends nothing more", async () => {
    s3.seed(BUCKET, KEY, 'first')
    expect(await store.create(KEY, 'second')).toBe('exists')
    expect(puts()).toHaveLength(1)
    expect(s3.text(BUCKET, KEY)).toBe('first')
  })

  it("create of a stream answered 412 before S3 read it destroys the caller's stream", async () => {
    s3.failNext('PutObject', s3Error('PreconditionFailed', 412))
    const stream = Readable.from([Buffer.from('abc')])
    expect(await store.create(KEY, stream, { contentLength: 3 })).toBe('exists')
    expect(stream.destroyed).toBe(true)
  })

  for (const [kind, body, expected] of [
    ['bytes', new Uint8Array(Buffer.from('payload')), 'payload'],
    ['a string', 'payload', 'payload'],
  ] as const) {
    it(`create retries 409 ConditionalRequestConflict for ${kind}, then succeeds`, async () => {
      s3.failNext('PutObject', conflict(), conflict())
      expect(await store.create(KEY, body)).toBe('created')
      expect(puts()).toHaveLength(3)
      for (const call of puts())
        expect(call.input).toMatchObject({ Bucket: BUCKET, Key: KEY, IfNoneMatch: '*' })
      expect(s3.text(BUCKET, KEY)).toBe(expected)
      // CONFLICT_RETRY's waits with the draw at one half: 100 ms, then 200
      expect(waits).toEqual([100, 200])
    })
  }

  it('create retries 409 for a local file by reopening it: every attempt sends the whole file', async () => {
    const file = path.join(scratch, 'drop.jsonl')
    await writeFile(file, 'line 1\nline 2\n')
    s3.failNext('PutObject', conflict())
    expect(await store.create(KEY, { file })).toBe('created')
    const [first, second] = puts()
    expect(first?.input.Body).not.toBe(second?.input.Body)
    expect((first?.input.Body as Readable | undefined)?.destroyed).toBe(true)
    expect(second?.input).toMatchObject({ ContentLength: 14, IfNoneMatch: '*' })
    expect(s3.text(BUCKET, KEY)).toBe('line 1\nline 2\n')
  })

  it('create does not retry a plain stream after 409: it can be sent only once', async () => {
    s3.failNext('PutObject', conflict())
    const error = await store
      .create(KEY, Readable.from(['abc']), { contentLength: 3 })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } })
    expect(puts()).toHaveLength(1)
    expect(waits).toEqual([])
    expect(s3.keys(BUCKET)).toEqual([])
  })

  it('create gives up after the attempts of its conflict retry and throws the last conflict', async () => {
    s3.failNext('PutObject', conflict(), conflict(), conflict(), conflict())
    await expect(store.create(KEY, 'payload')).rejects.toMatchObject({ name: 'ConditionalRequestConflict' })
    expect(puts()).toHaveLength(3)
    expect(waits).toEqual([100, 200])
  })

  it('waits a full-jitter backoff between conflicted creates, capped at CONFLICT_RETRY.maxDelayMs', async () => {
    const capped = new S3ObjectStore({
      bucket: BUCKET,
      client: new S3Client({ region: 'eu-west-2' }),
      timing: {
        random: () => 0.999,
        sleep: async (ms) => {
          waits.push(ms)
        },
      },
    })
    s3.failNext('PutObject', conflict(), conflict(), conflict(), conflict(), conflict())
    await expect(capped.create(KEY, 'payload')).rejects.toMatchObject({ name: 'ConditionalRequestConflict' })
    expect(puts()).toHaveLength(CONFLICT_RETRY.attempts)
    // just under 200, 400, 800, 1600 ms (the cap, 2000, not reached in five tries)
    expect(waits).toEqual([200, 400, 799, 1598])
  })

  it('other errors propagate unchanged and are not retried', async () => {
    s3.failNext('PutObject', s3Error('InternalError', 500))
    await expect(store.create(KEY, 'x')).rejects.toMatchObject({ name: 'InternalError' })
    expect(puts()).toHaveLength(1)

    s3.failNext('PutObject', s3Error('AccessDenied', 403))
    await expect(store.put(KEY, 'x')).rejects.toMatchObject({ name: 'AccessDenied' })

    s3.failNext('GetObject', s3Error('AccessDenied', 403))
    await expect(store.get(KEY)).rejects.toMatchObject({ name: 'AccessDenied' })

    s3.failNext('HeadObject', s3Error('Forbidden', 403))
    await expect(store.exists(KEY)).rejects.toMatchObject({ name: 'Forbidden' })

    s3.failNext('ListObjectsV2', s3Error('SlowDown', 503))
    await expect(async () => {
      for await (const _ of store.list('')) {
        // drain
      }
    }).rejects.toMatchObject({ name: 'SlowDown' })
  })

  it('a missing key is ObjectNotFoundError, a missing bucket is not', async () => {
    await expect(store.get(KEY)).rejects.toBeInstanceOf(ObjectNotFoundError)
    const other = new S3ObjectStore({
      bucket: 'no-such-bucket',
      client: new S3Client({ region: 'eu-west-2' }),
    })
    const error = await other.get(KEY).catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(ObjectNotFoundError)
    expect(error).toMatchObject({ name: 'NoSuchBucket' })
  })

  it('list follows ContinuationToken across pages and sends the prefix on every page', async () => {
    s3.restore()
    s3 = fakeS3({ buckets: [BUCKET], pageSize: 2 })
    const keys = [
      'curated/incidents/a',
      'curated/incidents/b',
      'curated/incidents/c',
      'curated/incidents/d',
      'curated/incidents/e',
    ]
    for (const key of [...keys, 'curated/calls/x', 'landing/y']) s3.seed(BUCKET, key, key)
    const listed: ObjectInfo[] = []
    for await (const item of store.list('curated/incidents/')) listed.push(item)
    expect(listed).toEqual(keys.map((key) => ({ key })))
    // the SDK's paginator: each page's token from the page before, the prefix on every page, no page after the last
    const token = (key: string) => Buffer.from(key, 'utf8').toString('base64url')
    expect(s3.sent()).toEqual(
      [undefined, token('curated/incidents/b'), token('curated/incidents/d')].map((ContinuationToken) => ({
        command: 'ListObjectsV2',
        input: { Bucket: BUCKET, Prefix: 'curated/incidents/', ContinuationToken },
      })),
    )
  })
})

describe("s3Client: retries of single calls are the SDK client's", () => {
  it('uses the standard retry mode with S3_MAX_ATTEMPTS attempts', async () => {
    const client = s3Client({ region: 'eu-west-2' })
    expect(await client.config.maxAttempts()).toBe(S3_MAX_ATTEMPTS)
    const { retryMode } = client.config
    expect(typeof retryMode === 'string' ? retryMode : await retryMode()).toBe('standard')
  })
})
