import { describe, expect, it } from 'vitest'
import { analyticsConfig } from '../../functions/analytics/config.ts'
import { ingestConfig } from '../../functions/ingest/config.ts'
import { sourceFiles } from './helpers/source-files.ts'

/** A read of the environment: `process.env`, `process['env']`, or `const { env } = process`. */
const READS_ENV = /\bprocess\s*(?:\.\s*env\b|\[\s*['"]env['"]\s*\])|\benv\b[^=\n]*\}\s*=\s*process\b/

describe('configuration', () => {
  it('is read from the environment at the edge only: no module under functions/core reads process.env', () => {
    const readers = sourceFiles('functions/core')
      .filter((file) => READS_ENV.test(file.text))
      .map((file) => file.path)
    expect(readers).toEqual([])
    // the scan sees a read where there is one
    for (const read of ['process.env.LAKE', "process['env'].LAKE", 'const { env } = process'])
      expect(read).toMatch(READS_ENV)
    // and the edge does read it
    expect(sourceFiles('functions/ingest').some((file) => READS_ENV.test(file.text))).toBe(true)
  })

  it("passes where a bundle ships its queries and Parquet writer to the core, or nothing for the source tree's", () => {
    const metrics = { POWERTOOLS_METRICS_NAMESPACE: 'hotspot/test' }
    const lake = {
      LAKE_BUCKET: 'hotspot-lake',
      ATHENA_WORKGROUP: 'pipeline',
      ATHENA_DATABASE: 'hotspot',
      ...metrics,
    }
    expect(
      analyticsConfig({ ...lake, QUERIES_DIR: '/var/task/queries/', PARQUET_WASM: '/var/task/parquet.wasm' }),
    ).toMatchObject({ queriesDir: '/var/task/queries/', parquetWasm: '/var/task/parquet.wasm' })
    expect(analyticsConfig(lake)).toMatchObject({ queriesDir: undefined, parquetWasm: undefined })
    const ingest = {
      LAKE_BUCKET: 'hotspot-lake',
      FIRST_DROP_DATE: '2026-01-01',
      PSEUDONYM_KEY_PARAMETER: '/hotspot/pseudonym-key',
      ...metrics,
    }
    expect(ingestConfig({ ...ingest, PARQUET_WASM: '/var/task/parquet.wasm' }).parquetWasm).toBe(
      '/var/task/parquet.wasm',
    )
    expect(ingestConfig(ingest).parquetWasm).toBeUndefined()
  })
})
