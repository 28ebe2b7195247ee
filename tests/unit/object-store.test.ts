import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.ts'
import { fakeS3 } from './helpers/fake-s3.ts'
import { objectStoreContract } from './helpers/object-store-contract.ts'
import { deadPid, liveProcess } from './helpers/processes.ts'

objectStoreContract('FsObjectStore (temporary directory)', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
  return { store: new FsObjectStore(root), cleanup: () => rm(root, { recursive: true, force: true }) }
})

objectStoreContract('S3ObjectStore (in-memory fake bucket)', async () => {
  // pages of 2 keys, so that every listing above crosses several ListObjectsV2 pages
  const s3 = fakeS3({ buckets: ['lake'], pageSize: 2 })
  const store = new S3ObjectStore({
    bucket: 'lake',
    client: new S3Client({ region: 'eu-west-2' }),
    conflictRetry: { baseDelayMs: 1 },
  })
  return { store, cleanup: async () => s3.restore() }
})

describe('FsObjectStore', () => {
  it('a put that cannot be published leaves no temporary file behind', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
    try {
      const store = new FsObjectStore(root)
      await store.put('a/b/c', 'leaf')
      // `a/b` is a folder: the temporary file cannot be renamed over it
      await expect(store.put('a/b', 'x')).rejects.toThrow()
      expect(await readdir(path.join(root, 'a'))).toEqual(['b'])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('writes into a folder removed since it last wrote there (it remembers the folders it made)', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
    try {
      const store = new FsObjectStore(root)
      const source = path.join(root, 'source.csv')
      await writeFile(source, 'file body')
      await store.create('curated/tips/dt=2026-03-02/a.parquet', 'first')
      for (const [key, body] of [
        ['curated/tips/dt=2026-03-02/b.parquet', 'bytes'],
        ['curated/tips/dt=2026-03-02/c.parquet', { file: source }],
        ['curated/tips/dt=2026-03-02/d.parquet', Buffer.from('buffer')],
      ] as const) {
        await rm(path.join(root, 'curated', 'tips'), { recursive: true })
        expect(await store.create(key, body), key).toBe('created')
        expect(await readdir(path.join(root, 'curated', 'tips', 'dt=2026-03-02'))).toEqual([
          path.basename(key),
        ])
      }
      await rm(path.join(root, 'curated'), { recursive: true })
      await store.put('curated/tips/dt=2026-03-02/e.parquet', 'put')
      expect((await store.getBytes('curated/tips/dt=2026-03-02/e.parquet')).toString()).toBe('put')
      // a missing source is still an error, once the folder is there
      await expect(
        store.create('curated/tips/dt=2026-03-02/f.parquet', { file: `${source}.gone` }),
      ).rejects.toThrow(/ENOENT/)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('creates of one key at once: one is created; an existing key is not copied over, even from a file gone', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
    try {
      const store = new FsObjectStore(root)
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.create('k/same', `body ${i}`)),
      )
      expect(results.filter((r) => r === 'created')).toHaveLength(1)
      expect(await new FsObjectStore(root).create('k/same', 'again')).toBe('exists')
      // the object exists: the file is neither read nor copied
      expect(await store.create('k/same', { file: path.join(root, 'missing.bin') })).toBe('exists')
      expect(await readdir(path.join(root, 'k'))).toEqual(['same'])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('has no object versions: a read of one is refused, not answered with the current bytes', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
    try {
      const store = new FsObjectStore(root)
      await store.put('landing/incidents/2026-03-02/a.csv', 'current')
      await expect(store.get('landing/incidents/2026-03-02/a.csv', { versionId: 'v1' })).rejects.toThrow(
        /keeps no object versions/,
      )
      expect((await store.getBytes('landing/incidents/2026-03-02/a.csv')).toString()).toBe('current')
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

describe('FsObjectStore: temporary files of writers that died', () => {
  it("removes a dead writer's temporary files and keeps a live writer's, objects and keys that merely contain .tmp-", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
    const live = liveProcess()
    try {
      const store = new FsObjectStore(root)
      const dead = await deadPid()
      const landing = 'landing/incidents/2026-06-01/a.csv'
      await store.put(landing, 'incident_id\n')
      await store.put('quarantine/notes.tmp-report', 'an object whose key contains .tmp-')
      const files = {
        deadWriter: `${landing}.tmp-${dead}-0123456789ab`,
        liveWriter: `${landing}.tmp-${live.pid}-0123456789ab`,
        thisProcess: `curated/incidents/dt=2026-06-01/x.parquet.tmp-${process.pid}-0123456789ab`,
        // the earlier form, without a pid: an hour old it is a dead writer's, younger it may be at work
        unownedOld: `manifests/ingest/incidents/x.json.tmp-abcdef012345`,
        unownedNew: `manifests/ingest/incidents/y.json.tmp-abcdef012345`,
      }
      for (const key of Object.values(files)) {
        await mkdir(path.dirname(path.join(root, key)), { recursive: true })
        await writeFile(path.join(root, key), 'partial')
      }
      const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000)
      await utimes(path.join(root, files.unownedOld), twoHoursAgo, twoHoursAgo)

      expect((await store.removeDeadWritersFiles()).sort()).toEqual(
        [files.deadWriter, files.unownedOld].sort(),
      )
      const left = (await readdir(root, { recursive: true })).map((f) => f.split(path.sep).join('/'))
      expect(left).toEqual(
        expect.arrayContaining([
          landing,
          'quarantine/notes.tmp-report',
          files.liveWriter,
          files.thisProcess,
          files.unownedNew,
        ]),
      )
      expect(left).not.toContain(files.deadWriter)
      expect(left).not.toContain(files.unownedOld)
    } finally {
      live.kill()
      await rm(root, { recursive: true, force: true })
    }
  })

  it('names its temporary files by the writing process', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'fs-object-store-'))
    try {
      const store = new FsObjectStore(root)
      const body = new PassThrough()
      const writing = store.put('a/b.txt', body)
      body.write('half')
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(await readdir(path.join(root, 'a'))).toEqual([
        expect.stringMatching(new RegExp(`^b\\.txt\\.tmp-${process.pid}-[0-9a-f]{12}$`)),
      ])
      body.end()
      await writing
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})
