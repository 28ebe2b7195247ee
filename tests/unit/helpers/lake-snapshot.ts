import { createHash } from 'node:crypto'
import type { ObjectStore } from '../../../functions/core/ports.ts'

/**
 * Every object in a lake with a digest of its bytes. Ingest manifests are compared without `timings_ms`, the one
 * field that records how long a run took rather than what it produced.
 */
export async function snapshotLake(store: ObjectStore): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {}
  for await (const { key } of store.list('')) {
    let bytes = await store.getBytes(key)
    if (key.startsWith('manifests/ingest/')) {
      const manifest = JSON.parse(bytes.toString('utf8'))
      delete manifest.timings_ms
      bytes = Buffer.from(JSON.stringify(manifest))
    }
    snapshot[key] = createHash('sha256').update(bytes).digest('hex')
  }
  return snapshot
}
