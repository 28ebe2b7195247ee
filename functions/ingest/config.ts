import { z } from 'zod'
import { accuracyLimitM, bucketName, lakeLock, lakeLockEnv, parseEnv, powertoolsEnv } from '../core/config.ts'
import { DEFAULT_PING_ACCURACY_LIMIT_M } from '../core/contracts/feeds.ts'
import { isDay } from '../core/time/days.ts'

const ingestEnv = z.object({
  LAKE_BUCKET: bucketName('the name of the lake bucket the ingest function reads and writes'),
  FIRST_DROP_DATE: z
    .string({
      error:
        "is required: the force's first drop date (YYYY-MM-DD), where the Glue tables' partition projection starts",
    })
    .refine(isDay, {
      error: (issue) => `${JSON.stringify(issue.input)} is not a date (YYYY-MM-DD)`,
    }),
  PSEUDONYM_KEY_PARAMETER: z
    .string({
      error:
        'is required: the name of the SecureString SSM parameter holding the pseudonymisation key of device ids (hex)',
    })
    .regex(/^[A-Za-z0-9_./-]{1,2048}$/, {
      error: (issue) => `${JSON.stringify(issue.input)} is not an SSM parameter name`,
    }),
  PING_ACCURACY_LIMIT_M: accuracyLimitM.optional(),
  ...powertoolsEnv,
  PARQUET_WASM: z.string().min(1).optional(),
  ...lakeLockEnv,
})

export interface IngestConfig {
  /** The only bucket whose landing/ objects this function ingests, and where it writes the lake. */
  lakeBucket: string
  /**
   * The first day of the Glue tables' partition projection (the stack's `firstDropDate`): a drop dated earlier
   * would be stored where Athena never looks, so it is refused.
   */
  firstDropDate: string
  /** The SecureString SSM parameter the key of the pseudonyms is read from, once per container. */
  pseudonymKeyParameter: string
  /** Pings less accurate than this (m) are flagged. */
  accuracyLimitM: number
  /** Object Lock for the records the function writes (archive/, manifests/); none locally. */
  lock: ReturnType<typeof lakeLock>
  serviceName: string
  /** Where the bundle ships the Parquet writer's WebAssembly (default: the package's). */
  parquetWasm: string | undefined
  /** The CloudWatch namespace of the function's metrics. */
  metricsNamespace: string
}

export function ingestConfig(env: Record<string, string | undefined>): IngestConfig {
  const parsed = parseEnv(ingestEnv, env, 'ingest function')
  return {
    lakeBucket: parsed.LAKE_BUCKET,
    firstDropDate: parsed.FIRST_DROP_DATE,
    pseudonymKeyParameter: parsed.PSEUDONYM_KEY_PARAMETER,
    accuracyLimitM: parsed.PING_ACCURACY_LIMIT_M ?? DEFAULT_PING_ACCURACY_LIMIT_M,
    serviceName: parsed.POWERTOOLS_SERVICE_NAME ?? 'hotspot-ingest',
    metricsNamespace: parsed.POWERTOOLS_METRICS_NAMESPACE,
    lock: lakeLock(parsed, 'ingest function'),
    parquetWasm: parsed.PARQUET_WASM,
  }
}
