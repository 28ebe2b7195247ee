import { z } from 'zod'
import { bucketName, lakeLock, lakeLockEnv, parseEnv, powertoolsEnv } from '../core/config.ts'

const analyticsEnv = z.object({
  LAKE_BUCKET: bucketName('the lake bucket the marts read reference data from and write results to'),
  ATHENA_WORKGROUP: z.string({ error: 'is required: the Athena workgroup the marts run in' }).min(1),
  ATHENA_DATABASE: z.string({ error: 'is required: the Glue database holding the lake tables' }).min(1),
  ...powertoolsEnv,
  ...lakeLockEnv,
})

export interface AnalyticsConfig {
  lakeBucket: string
  workgroup: string
  database: string
  /** Object Lock for the records the function writes (archive/, manifests/); none locally. */
  lock: ReturnType<typeof lakeLock>
  serviceName: string
  /** The CloudWatch namespace of the function's metrics. */
  metricsNamespace: string
}

export function analyticsConfig(env: Record<string, string | undefined>): AnalyticsConfig {
  const parsed = parseEnv(analyticsEnv, env, 'analytics function')
  return {
    lakeBucket: parsed.LAKE_BUCKET,
    workgroup: parsed.ATHENA_WORKGROUP,
    database: parsed.ATHENA_DATABASE,
    serviceName: parsed.POWERTOOLS_SERVICE_NAME ?? 'hotspot-analytics',
    metricsNamespace: parsed.POWERTOOLS_METRICS_NAMESPACE,
    lock: lakeLock(parsed, 'analytics function'),
  }
}
