import { z } from 'zod'
import { lakeLock, lakeLockEnv, parseEnv } from '../core/config.ts'

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

const reportsEnv = z.object({
  LAKE_BUCKET: z
    .string({
      error: 'is required: the lake bucket holding results, reference data, the ledger and the archive',
    })
    .regex(BUCKET_NAME, { error: (issue) => `${JSON.stringify(issue.input)} is not an S3 bucket name` }),
  SES_CONFIGURATION_SET: z
    .string({ error: 'is required: the SES configuration set that records bounces and complaints' })
    .min(1),
  FORCE_NAME: z.string({ error: 'is required: the force, as named in subjects and headings' }).min(1),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).optional(),
  ...lakeLockEnv,
})

export interface ReportsConfig {
  lakeBucket: string
  configurationSet: string
  force: string
  /** Object Lock for the records the function writes (archive/, manifests/); none locally. */
  lock: ReturnType<typeof lakeLock>
  serviceName: string
}

export function reportsConfig(env: Record<string, string | undefined>): ReportsConfig {
  const parsed = parseEnv(reportsEnv, env, 'reports function')
  return {
    lakeBucket: parsed.LAKE_BUCKET,
    configurationSet: parsed.SES_CONFIGURATION_SET,
    force: parsed.FORCE_NAME,
    serviceName: parsed.POWERTOOLS_SERVICE_NAME ?? 'hotspot-reports',
    lock: lakeLock(parsed, 'reports function'),
  }
}
