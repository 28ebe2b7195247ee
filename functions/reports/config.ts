import { z } from 'zod'
import { bucketName, lakeLock, lakeLockEnv, parseEnv, powertoolsEnv } from '../core/config.ts'
import type { RasteriserOptions } from '../core/reports/charts/rasterise.ts'

const reportsEnv = z.object({
  LAKE_BUCKET: bucketName('the lake bucket holding results, reference data, the ledger and the archive'),
  SES_CONFIGURATION_SET: z
    .string({ error: 'is required: the SES configuration set that records bounces and complaints' })
    .min(1),
  FORCE_NAME: z.string({ error: 'is required: the force, as named in subjects and headings' }).min(1),
  ...powertoolsEnv,
  /** resvg's WebAssembly module shipped beside the bundle (the native addon is not shipped). */
  RESVG_WASM: z.string().min(1).optional(),
  ...lakeLockEnv,
})

export interface ReportsConfig {
  lakeBucket: string
  configurationSet: string
  force: string
  /** Object Lock for the records the function writes (archive/, manifests/); none locally. */
  lock: ReturnType<typeof lakeLock>
  serviceName: string
  rasteriser: RasteriserOptions
  /** The CloudWatch namespace of the function's metrics. */
  metricsNamespace: string
}

export function reportsConfig(env: Record<string, string | undefined>): ReportsConfig {
  const parsed = parseEnv(reportsEnv, env, 'reports function')
  return {
    lakeBucket: parsed.LAKE_BUCKET,
    configurationSet: parsed.SES_CONFIGURATION_SET,
    force: parsed.FORCE_NAME,
    serviceName: parsed.POWERTOOLS_SERVICE_NAME ?? 'hotspot-reports',
    metricsNamespace: parsed.POWERTOOLS_METRICS_NAMESPACE,
    lock: lakeLock(parsed, 'reports function'),
    rasteriser: { wasmFile: parsed.RESVG_WASM },
  }
}
