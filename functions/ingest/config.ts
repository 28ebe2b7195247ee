import { z } from 'zod'
import { bucketName, lakeLock, lakeLockEnv, parseEnv } from '../core/config.ts'

const ingestEnv = z.object({
  LAKE_BUCKET: bucketName('the name of the lake bucket the ingest function reads and writes'),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).optional(),
  ...lakeLockEnv,
})

export interface IngestConfig {
  /** The only bucket whose landing/ objects this function ingests, and where it writes the lake. */
  lakeBucket: string
  /** Object Lock for the records the function writes (archive/, manifests/); none locally. */
  lock: ReturnType<typeof lakeLock>
  serviceName: string
}

export function ingestConfig(env: Record<string, string | undefined>): IngestConfig {
  const parsed = parseEnv(ingestEnv, env, 'ingest function')
  return {
    lakeBucket: parsed.LAKE_BUCKET,
    serviceName: parsed.POWERTOOLS_SERVICE_NAME ?? 'hotspot-ingest',
    lock: lakeLock(parsed, 'ingest function'),
  }
}
