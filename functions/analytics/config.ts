import { z } from 'zod'
import { bucketName, lakeLock, lakeLockEnv, parseEnv, powertoolsEnv } from '../core/config.ts'

const analyticsEnv = z.object({
  LAKE_BUCKET: bucketName('the lake bucket the marts read reference data from and write results to'),
  ATHENA_WORKGROUP: z.string({ error: 'is required: the Athena workgroup the marts run in' }).min(1),
  ATHENA_DATABASE: z.string({ error: 'is required: the Glue database holding the lake tables' }).min(1),
  ...powertoolsEnv,
  QUERIES_DIR: z.string().min(1).optional(),
  PARQUET_WASM: z.string().min(1).optional(),
  ...lakeLockEnv,
})

export interface AnalyticsConfig {
  lakeBucket: string
  workgroup: string
  database: string
  /** Object Lock for the records the function writes (archive/, manifests/); none locally. */
  lock: ReturnType<typeof lakeLock>
  serviceName: string
  /** Where the bundle ships queries/ (default: beside the source tree). */
  queriesDir: string | undefined
  /** Where the bundle ships the Parquet writer's WebAssembly (default: the package's). */
  parquetWasm: string | undefined
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
    queriesDir: parsed.QUERIES_DIR,
    parquetWasm: parsed.PARQUET_WASM,
  }
}
