import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { contractFor } from '../contracts/feeds.ts'
import { parseLandingKey } from '../lake.ts'
import type { Clock, ObjectStore } from '../ports.ts'
import { makeWorkFolder, removeWorkFolder } from '../work-folder.ts'
import { ContentDigest, type IngestRequest, type IngestResult, ingestDrop, namingTheDrop } from './ingest.ts'

export class NotALandingKeyError extends Error {
  override name = 'NotALandingKeyError'
}

/**
 * Ingests a drop already delivered to `landing/<feed>/<YYYY-MM-DD>/<file>` (the S3 path). The object is staged
 * to local temporary storage once, hashed on the way, then read as often as the ingest needs. With a
 * `versionId` (the S3 event's), that version is read, not whatever the key holds now, and the manifest names it.
 */
export async function ingestLandedObject(
  store: ObjectStore,
  key: string,
  clock: Clock,
  options: {
    versionId?: string
    /** The key of the feeds' pseudonyms and the pings' accuracy limit (IngestRequest). */
    settings?: Pick<IngestRequest, 'pseudonymKey' | 'accuracyLimitM'>
  } = {},
): Promise<IngestResult> {
  const parts = parseLandingKey(key)
  if (!parts)
    throw new NotALandingKeyError(`${key} is not a landing key (landing/<feed>/<YYYY-MM-DD>/<file>)`)
  const feed = contractFor(parts.feed).feed
  const work = await makeWorkFolder('landed')
  try {
    const file = path.join(work, 'drop')
    const digest = new ContentDigest()
    await pipeline(
      await store.get(key, { versionId: options.versionId }),
      async function* hashOnTheWay(chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          digest.update(chunk)
          yield chunk
        }
      },
      createWriteStream(file),
    )
    return await ingestDrop({
      store,
      clock,
      feed,
      file,
      sourceName: key,
      dropDate: parts.dropDate,
      landingKey: key,
      landingVersionId: options.versionId,
      content: digest.content(),
      ...options.settings,
    })
  } catch (error) {
    throw namingTheDrop(key, error)
  } finally {
    await removeWorkFolder(work)
  }
}
