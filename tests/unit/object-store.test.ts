import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.ts'
import { fakeS3 } from './helpers/fake-s3.ts'
import { objectStoreContract } from './helpers/object-store-contract.ts'

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
    conflictBackoffMs: 1,
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
