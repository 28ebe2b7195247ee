/**
 * The ObjectStore contract (functions/core/ports.ts) as one suite of cases, run on every adapter: the filesystem
 * and the in-memory fake S3 in tests/unit/object-store.test.ts, a real S3-compatible server (moto) in
 * tests/aws/s3-object-store.test.ts. A pipeline tested on disk thereby behaves the same on S3.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  InvalidKeyError,
  type ObjectBody,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
} from '../../../functions/core/ports.ts'
import { byUtf8 } from './fake-s3.ts'

export interface Harness {
  store: ObjectStore
  cleanup(): Promise<void>
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

async function listKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const item of store.list(prefix)) keys.push(item.key)
  return keys
}

/** Keys that must mean the same object on S3 and on disk. */
const ROUND_TRIP_KEYS = [
  'README',
  'landing/incidents/2026-03-02/drop one.csv',
  'landing/incidents/2026-03-02/drop+one.csv',
  'landing/tips/2026-03-02/café #1 (copy)&more.csv',
  'landing/incidents/2026-03-02/report.tmp-1.csv',
  'curated/incidents/dt=2026-03-02/incidents-2026-03-02-0123456789abcdef.parquet',
  'manifests/ingest/incidents/incidents-2026-03-02-0123456789abcdef.json',
  'x/\uff01 fullwidth.txt',
  'x/\u{1F600} emoji.txt',
]

const LIST_KEYS = [
  'landing/incidents/2026-03-01/f.csv',
  'curated/incidents/dt=2026-03-02/nested/deeper/d.parquet',
  'curatedx/e.parquet',
  'curated/incidents/dt=2026-03-01/a.parquet',
  'curated/inc.parquet',
  'curated/incidents-v2/dt=2026-03-01/c.parquet',
  'curated/calls/dt=2026-03-01/a.parquet',
  'curated/incidents/dt=2026-03-02/b.parquet',
]

const INVALID_KEYS = ['../x', '/abs', 'a//b', '', 'a/./b', 'a/../b', 'a/b/', 'a\\b', 'a/\0b']

/**
 * The behaviour every ObjectStore adapter must share (functions/core/ports.ts): run once per adapter, so that a
 * pipeline tested on disk behaves the same on S3.
 */
export function objectStoreContract(name: string, open: () => Promise<Harness>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let harness: Harness
    let store: ObjectStore
    let scratch: string

    beforeEach(async () => {
      harness = await open()
      store = harness.store
      scratch = await mkdtemp(path.join(tmpdir(), 'object-store-scratch-'))
    })
    afterEach(async () => {
      await harness.cleanup()
      await rm(scratch, { recursive: true, force: true })
    })

    async function localFile(content: Buffer | string): Promise<{ file: string }> {
      const file = path.join(scratch, randomBytes(4).toString('hex'))
      await writeFile(file, content)
      return { file }
    }

    const bodies: Array<[string, (content: Buffer) => Promise<[ObjectBody, { contentLength?: number }]>]> = [
      ['Uint8Array', async (c) => [new Uint8Array(c), {}]],
      ['string', async (c) => [c.toString('utf8'), {}]],
      [
        'Readable with contentLength',
        async (c) => [Readable.from([c.subarray(0, 3), c.subarray(3)]), { contentLength: c.length }],
      ],
      ['{ file }', async (c) => [await localFile(c), {}]],
    ]

    it('round-trips every key: the same key names the same bytes', async () => {
      for (const [i, key] of ROUND_TRIP_KEYS.entries()) await store.put(key, `object ${i}: ${key}\n`)
      for (const [i, key] of ROUND_TRIP_KEYS.entries()) {
        expect(await store.exists(key)).toBe(true)
        expect((await store.getBytes(key)).toString('utf8')).toBe(`object ${i}: ${key}\n`)
      }
      expect(await listKeys(store, '')).toEqual([...ROUND_TRIP_KEYS].sort(byUtf8))
    })

    it('lists keys in UTF-8 byte order, as S3 does', async () => {
      for (const key of ROUND_TRIP_KEYS) await store.put(key, 'x')
      // U+FF01 is EF BC 81 in UTF-8 and sorts before U+1F600 (F0 ...), although its UTF-16 unit is larger
      expect(await listKeys(store, 'x/')).toEqual(['x/\uff01 fullwidth.txt', 'x/\u{1F600} emoji.txt'])
    })

    it('streams a get: the stream yields exactly the stored bytes', async () => {
      const content = randomBytes(3 * 1024 * 1024 + 17)
      await store.put('big/blob.bin', content)
      const stream = await store.get('big/blob.bin')
      expect(stream).toBeInstanceOf(Readable)
      expect((await readAll(stream)).equals(content)).toBe(true)
    })

    for (const [kind, make] of bodies) {
      it(`puts from a ${kind}`, async () => {
        const content = Buffer.from('incident_id,crime_type\nINC-1,Burglary £5 café\n', 'utf8')
        const [body, options] = await make(content)
        await store.put('landing/incidents/2026-03-02/put.csv', body, options)
        expect((await store.getBytes('landing/incidents/2026-03-02/put.csv')).equals(content)).toBe(true)
      })

      it(`creates from a ${kind}: 'created', then 'exists' without changing the stored bytes`, async () => {
        const first = Buffer.from('first version\n')
        const second = Buffer.from('second version, longer\n')
        const [body1, options1] = await make(first)
        expect(await store.create('manifests/ingest/incidents/d.json', body1, options1)).toBe('created')
        const [body2, options2] = await make(second)
        expect(await store.create('manifests/ingest/incidents/d.json', body2, options2)).toBe('exists')
        expect((await store.getBytes('manifests/ingest/incidents/d.json')).equals(first)).toBe(true)
        expect(await listKeys(store, 'manifests/')).toEqual(['manifests/ingest/incidents/d.json'])
      })
    }

    it('put replaces an existing object', async () => {
      await store.put('reference/harm/current.csv', 'old contents that are longer\n')
      await store.put('reference/harm/current.csv', 'new\n')
      expect((await store.getBytes('reference/harm/current.csv')).toString()).toBe('new\n')
    })

    it('lists by prefix exactly the matching keys, in key order, with their sizes', async () => {
      for (const [i, key] of LIST_KEYS.entries()) await store.put(key, 'y'.repeat(i + 1))
      const sorted = [...LIST_KEYS].sort(byUtf8)
      expect(await listKeys(store, '')).toEqual(sorted)
      // not a folder boundary: matches a file, two folders and what lies deep under them
      expect(await listKeys(store, 'curated/inc')).toEqual([
        'curated/inc.parquet',
        'curated/incidents-v2/dt=2026-03-01/c.parquet',
        'curated/incidents/dt=2026-03-01/a.parquet',
        'curated/incidents/dt=2026-03-02/b.parquet',
        'curated/incidents/dt=2026-03-02/nested/deeper/d.parquet',
      ])
      expect(await listKeys(store, 'curated')).toEqual(sorted.filter((k) => k.startsWith('curated')))
      expect(await listKeys(store, 'curated/')).toEqual(sorted.filter((k) => k.startsWith('curated/')))
      expect(await listKeys(store, 'curated/incidents/dt=2026-03-02/')).toEqual([
        'curated/incidents/dt=2026-03-02/b.parquet',
        'curated/incidents/dt=2026-03-02/nested/deeper/d.parquet',
      ])
      expect(await listKeys(store, 'curated/incidents/dt=2026-03-02/nested/deeper/d.parquet')).toEqual([
        'curated/incidents/dt=2026-03-02/nested/deeper/d.parquet',
      ])
      expect(await listKeys(store, 'curated/incidents/dt=2026-03-0')).toHaveLength(3)
      expect(await listKeys(store, 'nothing/')).toEqual([])
      expect(await listKeys(store, 'curated/incidents/dt=2026-03-02/b.parquet/')).toEqual([])

      // every key, and nothing but the key (a size would cost the filesystem a stat per key)
      const listed: ObjectInfo[] = []
      for await (const item of store.list('')) listed.push(item)
      expect(listed).toEqual([...LIST_KEYS].sort(byUtf8).map((key) => ({ key })))
    })

    it('two concurrent creates of one key: exactly one is created, and its bytes are the ones stored', async () => {
      const results = await Promise.all([
        store.create('manifests/claims/ingest/incidents/d.json', 'writer A\n'),
        store.create('manifests/claims/ingest/incidents/d.json', 'writer B\n'),
      ])
      expect([...results].sort()).toEqual(['created', 'exists'])
      const winner = results[0] === 'created' ? 'writer A\n' : 'writer B\n'
      expect((await store.getBytes('manifests/claims/ingest/incidents/d.json')).toString()).toBe(winner)
    })

    it('many concurrent creates from files: exactly one is created and no partial object is visible', async () => {
      const contents = Array.from({ length: 8 }, (_, i) => Buffer.alloc(256 * 1024, 65 + i))
      const files = await Promise.all(contents.map((c) => localFile(c)))
      const results = await Promise.all(
        files.map((f) => store.create('curated/incidents/dt=2026-03-02/d.parquet', f)),
      )
      expect(results.filter((r) => r === 'created')).toHaveLength(1)
      const stored = await store.getBytes('curated/incidents/dt=2026-03-02/d.parquet')
      expect(stored.equals(contents[results.indexOf('created')] as Buffer)).toBe(true)
      expect(await listKeys(store, '')).toEqual(['curated/incidents/dt=2026-03-02/d.parquet'])
    })

    it('rejects invalid keys in every method and writes nothing', async () => {
      for (const key of INVALID_KEYS) {
        await expect(store.get(key), key).rejects.toBeInstanceOf(InvalidKeyError)
        await expect(store.getBytes(key), key).rejects.toBeInstanceOf(InvalidKeyError)
        await expect(store.exists(key), key).rejects.toBeInstanceOf(InvalidKeyError)
        await expect(store.put(key, 'x'), key).rejects.toBeInstanceOf(InvalidKeyError)
        await expect(store.create(key, 'x'), key).rejects.toBeInstanceOf(InvalidKeyError)
      }
      expect(await listKeys(store, '')).toEqual([])
    })

    it('a missing key is an ObjectNotFoundError naming the key; exists() is false', async () => {
      await expect(store.get('landing/incidents/2026-03-02/missing.csv')).rejects.toBeInstanceOf(
        ObjectNotFoundError,
      )
      const error = await store.getBytes('landing/incidents/2026-03-02/missing.csv').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ObjectNotFoundError)
      expect((error as ObjectNotFoundError).key).toBe('landing/incidents/2026-03-02/missing.csv')
      expect((error as ObjectNotFoundError).message).toContain(store.location)
      expect(await store.exists('landing/incidents/2026-03-02/missing.csv')).toBe(false)
    })

    it('a prefix is not an object, and nothing lies under an object', async () => {
      await store.put('a/b/c', 'leaf')
      for (const key of ['a', 'a/b', 'a/b/c/d']) {
        expect(await store.exists(key), key).toBe(false)
        await expect(store.get(key), key).rejects.toBeInstanceOf(ObjectNotFoundError)
        await expect(store.getBytes(key), key).rejects.toBeInstanceOf(ObjectNotFoundError)
      }
    })
  })
}
