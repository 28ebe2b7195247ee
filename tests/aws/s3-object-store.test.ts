/**
 * S3ObjectStore against a real S3-compatible server (moto's, tests/aws/moto-server.ts): the ObjectStore contract
 * every adapter shares, then what only a server shows: the answer to a conditional create and to a race of them,
 * listings over more than one page, streamed and large bodies, Object Lock retention and checksums. Each test
 * gets its own bucket, made as lib/storage.ts makes the data bucket (versioned, Object Lock enabled, no default
 * retention).
 *
 * Where moto is more lenient than AWS, the test checks what the adapter sends against what AWS documents
 * (README, "S3 on a real server").
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  type S3ServiceException,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.ts'
import { LOCKED_PREFIXES } from '../../lib/storage.ts'
import { byUtf8 } from '../unit/helpers/fake-s3.ts'
import { objectStoreContract } from '../unit/helpers/object-store-contract.ts'

const moto = inject('moto')
if (moto.endpoint === null)
  console.warn(`tests/aws: skipped, no S3 server (moto ${moto.version}): ${moto.missing}`)
const endpoint = moto.endpoint ?? 'http://127.0.0.1:9'

const LOCK = { mode: 'GOVERNANCE', days: 3, prefixes: LOCKED_PREFIXES } as const

/** An SDK client for the server: its endpoint, path-style addressing, dummy credentials. */
function client(config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    region: 'eu-west-2',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    ...config,
  })
}

/** A new bucket as the stack's data bucket: Object Lock enabled (no default retention), versioned. */
async function bucket(options: { objectLock?: boolean } = {}): Promise<string> {
  const name = `lake-${randomBytes(6).toString('hex')}`
  const s3 = client()
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ObjectLockEnabledForBucket: options.objectLock ?? true,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' },
    }),
  )
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
  )
  return name
}

async function failure(promise: Promise<unknown>): Promise<S3ServiceException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'expected the request to fail').toBeDefined()
  return error as S3ServiceException
}

async function listKeys(store: S3ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const item of store.list(prefix)) keys.push(item.key)
  return keys
}

/** CRC-32 (ISO-HDLC, as S3's x-amz-checksum-crc32), base64 of the big-endian value. */
function crc32(bytes: Uint8Array): string {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  const out = Buffer.alloc(4)
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0)
  return out.toString('base64')
}

describe.skipIf(moto.endpoint === null)(`S3 on moto ${moto.version}`, () => {
  objectStoreContract(`S3ObjectStore on moto ${moto.version} (versioned, Object Lock)`, async () => {
    const store = new S3ObjectStore({ bucket: await bucket(), client: client(), objectLock: LOCK })
    // the server is discarded after the run; locked versions could not be deleted anyway
    return { store, cleanup: async () => undefined }
  })

  describe('S3ObjectStore on a real server', () => {
    let scratch: string
    beforeAll(async () => {
      scratch = await mkdtemp(path.join(tmpdir(), 's3-aws-'))
    })
    afterAll(async () => {
      await rm(scratch, { recursive: true, force: true })
    })

    it('the bucket is made as the stack makes it: versioned, Object Lock enabled', async () => {
      const name = await bucket()
      const s3 = client()
      expect((await s3.send(new GetBucketVersioningCommand({ Bucket: name }))).Status).toBe('Enabled')
      const lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: name }))
      expect(lock.ObjectLockConfiguration?.ObjectLockEnabled).toBe('Enabled')
      expect(lock.ObjectLockConfiguration?.Rule).toBeUndefined()
    })

    it("a conditional create of an existing key is answered 412 PreconditionFailed: the adapter's 'exists'", async () => {
      const name = await bucket()
      const s3 = client()
      const store = new S3ObjectStore({ bucket: name, client: s3 })
      expect(await store.create('curated/a.parquet', 'first')).toBe('created')
      const error = await failure(
        s3.send(
          new PutObjectCommand({ Bucket: name, Key: 'curated/a.parquet', Body: 'x', IfNoneMatch: '*' }),
        ),
      )
      expect(error.name).toBe('PreconditionFailed')
      expect(error.$metadata.httpStatusCode).toBe(412)
      expect(await store.create('curated/a.parquet', 'second')).toBe('exists')
      expect((await store.getBytes('curated/a.parquet')).toString()).toBe('first')
    })

    it('races of eight creates of one key, twenty times: exactly one wins each, the rest see exists', async () => {
      const store = new S3ObjectStore({ bucket: await bucket(), client: client(), objectLock: LOCK })
      for (let round = 0; round < 20; round++) {
        const key = `manifests/ingest/incidents/race-${round}.json`
        const bodies = Array.from({ length: 8 }, (_, i) => `{"writer":${i},"pad":"${'x'.repeat(64 * 1024)}"}`)
        const results = await Promise.all(bodies.map((body) => store.create(key, body)))
        expect(
          results.filter((r) => r === 'created'),
          `round ${round}`,
        ).toHaveLength(1)
        const winner = bodies[results.indexOf('created')] as string
        expect((await store.getBytes(key)).toString()).toBe(winner)
      }
    })

    it('lists 1,205 keys under a prefix across ListObjectsV2 pages of 1,000, in key order, nothing else', async () => {
      const name = await bucket()
      const s3 = client()
      const store = new S3ObjectStore({ bucket: name, client: s3 })
      const keys = Array.from(
        { length: 1205 },
        (_, i) => `curated/incidents/dt=2026-03-02/part ${i} é.parquet`,
      )
      const others = [
        'curated/incidents/dt=2026-03-01/a.parquet',
        'curated/incidents/dt=2026-03-03/z.parquet',
      ]
      const all = [...keys, ...others]
      for (let i = 0; i < all.length; i += 32)
        await Promise.all(all.slice(i, i + 32).map((key) => store.put(key, key)))
      // each page's input as sent (the SDK's paginator changes one input object between pages) and its answer
      const pages: { input: Record<string, unknown>; next: string | undefined }[] = []
      const send = s3.send.bind(s3)
      vi.spyOn(s3, 'send').mockImplementation((async (command: unknown) => {
        const output = await send(command as ListObjectsV2Command)
        if (command instanceof ListObjectsV2Command)
          pages.push({ input: { ...command.input }, next: output.NextContinuationToken })
        return output
      }) as typeof s3.send)
      const listed: string[] = []
      for await (const { key } of store.list('curated/incidents/dt=2026-03-02/')) listed.push(key)
      expect(listed).toEqual([...keys].sort(byUtf8))
      const prefix = { Bucket: name, Prefix: 'curated/incidents/dt=2026-03-02/' }
      expect(pages[0]?.next).toEqual(expect.any(String))
      expect(pages).toEqual([
        { input: { ...prefix, ContinuationToken: undefined }, next: pages[0]?.next },
        { input: { ...prefix, ContinuationToken: pages[0]?.next }, next: undefined },
      ])
      vi.restoreAllMocks()
      expect((await listKeys(store, '')).length).toBe(all.length)
    })

    it('puts a stream of known length in many chunks, and refuses one without a length before sending', async () => {
      const name = await bucket()
      const s3 = client()
      const store = new S3ObjectStore({ bucket: name, client: s3 })
      const content = randomBytes(1024 * 1024 + 3)
      const chunks = Array.from({ length: Math.ceil(content.length / 4096) }, (_, i) =>
        content.subarray(i * 4096, (i + 1) * 4096),
      )
      await store.put('landing/calls/2026-03-02/stream.csv', Readable.from(chunks), {
        contentLength: content.length,
      })
      expect((await store.getBytes('landing/calls/2026-03-02/stream.csv')).equals(content)).toBe(true)
      // AWS answers a PutObject without Content-Length 411 MissingContentLength; moto accepts a chunked one, so
      // what is checked is that the adapter never sends it
      const send = vi.spyOn(s3, 'send')
      await expect(store.put('landing/calls/2026-03-02/x.csv', Readable.from([content]))).rejects.toThrow(
        /needs contentLength/,
      )
      await expect(store.create('landing/calls/2026-03-02/x.csv', Readable.from([content]))).rejects.toThrow(
        /needs contentLength/,
      )
      expect(send).not.toHaveBeenCalled()
      expect(await store.exists('landing/calls/2026-03-02/x.csv')).toBe(false)
    })

    it('puts and creates large objects (12 MiB) from a stream, a file and bytes in one PutObject each', async () => {
      const store = new S3ObjectStore({ bucket: await bucket(), client: client(), objectLock: LOCK })
      const content = randomBytes(12 * 1024 * 1024 + 5)
      const file = path.join(scratch, 'large.bin')
      await writeFile(file, content)
      const chunks = Array.from({ length: 12 * 16 + 1 }, (_, i) =>
        content.subarray(i * 65536, (i + 1) * 65536),
      )
      await store.put('curated/big/stream.bin', Readable.from(chunks), { contentLength: content.length })
      expect(await store.create('curated/big/file.bin', { file })).toBe('created')
      expect(await store.create('manifests/big/bytes.bin', new Uint8Array(content))).toBe('created')
      for (const key of ['curated/big/stream.bin', 'curated/big/file.bin', 'manifests/big/bytes.bin'])
        expect((await store.getBytes(key)).equals(content), key).toBe(true)
      const listed = []
      for await (const { key } of store.list('')) listed.push(key)
      expect(listed).toEqual(['curated/big/file.bin', 'curated/big/stream.bin', 'manifests/big/bytes.bin'])
    })

    it('writes under archive/ and manifests/ carry the retention and a CRC-32 of the bytes; others none', async () => {
      const name = await bucket()
      const s3 = client()
      const store = new S3ObjectStore({ bucket: name, client: s3, objectLock: LOCK })
      const body = Buffer.from('{"rows_in":3,"note":"café"}\n')
      const before = Date.now()
      await store.create('manifests/runs/r1.json', body)
      await store.put('archive/weekly/2026-W46/CMD 1 £.eml', body)
      await store.create('ledger/weekly/2026-W46/CMD-1.json', body)
      const after = Date.now()
      for (const key of ['manifests/runs/r1.json', 'archive/weekly/2026-W46/CMD 1 £.eml']) {
        const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: key, ChecksumMode: 'ENABLED' }))
        expect(head.ObjectLockMode, key).toBe('GOVERNANCE')
        const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0
        // S3 keeps the date to the second
        expect(until).toBeGreaterThanOrEqual(before + LOCK.days * 86_400_000 - 1000)
        expect(until).toBeLessThanOrEqual(after + LOCK.days * 86_400_000 + 1000)
        expect(head.VersionId, key).toEqual(expect.any(String))
        // what AWS verifies (BadDigest when it differs) and moto only stores: the checksum is the bytes' own
        expect(head.ChecksumCRC32, key).toBe(crc32(body))
      }
      const ledger = await s3.send(
        new HeadObjectCommand({ Bucket: name, Key: 'ledger/weekly/2026-W46/CMD-1.json' }),
      )
      expect(ledger.ObjectLockMode).toBeUndefined()
      expect(ledger.ObjectLockRetainUntilDate).toBeUndefined()
    })

    it('a put with a retention but no checksum or Content-MD5 is refused 400; with Content-MD5 it is taken', async () => {
      const name = await bucket()
      // a client that adds no checksum of its own (the SDK's default adds a CRC-32 to every PutObject)
      const bare = client({ requestChecksumCalculation: 'WHEN_REQUIRED' })
      const retention = {
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
      } as const
      const error = await failure(
        bare.send(new PutObjectCommand({ Bucket: name, Key: 'manifests/a.json', Body: '{}', ...retention })),
      )
      expect(error.$metadata.httpStatusCode).toBe(400)
      const store = new S3ObjectStore({ bucket: name, client: bare })
      expect(await store.exists('manifests/a.json')).toBe(false)
      const md5 = createHash('md5').update('{}').digest('base64')
      await bare.send(
        new PutObjectCommand({
          Bucket: name,
          Key: 'manifests/a.json',
          Body: '{}',
          ContentMD5: md5,
          ...retention,
        }),
      )
      expect((await store.getBytes('manifests/a.json')).toString()).toBe('{}')
      // the adapter's own writes need no help from the client's defaults: it asks for the CRC-32 itself
      const locked = new S3ObjectStore({ bucket: name, client: bare, objectLock: LOCK })
      expect(await locked.create('manifests/b.json', '{}')).toBe('created')
    })

    it('a put with a retention to a bucket without Object Lock is refused 400', async () => {
      const name = await bucket({ objectLock: false })
      const store = new S3ObjectStore({ bucket: name, client: client(), objectLock: LOCK })
      const error = await failure(store.create('manifests/a.json', '{}'))
      expect(error.$metadata.httpStatusCode).toBe(400)
      expect(await store.exists('manifests/a.json')).toBe(false)
    })

    it('a locked version cannot be deleted before its retention ends', async () => {
      const name = await bucket()
      const s3 = client()
      const store = new S3ObjectStore({ bucket: name, client: s3, objectLock: LOCK })
      await store.create('manifests/runs/r1.json', '{}')
      const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: 'manifests/runs/r1.json' }))
      const error = await failure(
        s3.send(
          new DeleteObjectCommand({ Bucket: name, Key: 'manifests/runs/r1.json', VersionId: head.VersionId }),
        ),
      )
      expect(error.$metadata.httpStatusCode).toBe(403)
      expect((await store.getBytes('manifests/runs/r1.json')).toString()).toBe('{}')
    })
  })
})
