import { describe, expect, it } from 'vitest'
import { analyticsConfig } from '../../functions/analytics/config.ts'
import { ingestConfig } from '../../functions/ingest/config.ts'
import { sourceFiles } from './helpers/source-files.ts'

/** Still read in core until helper "charts" (issue 14) moves the rasteriser choice to the edge: then delete it. */
const PENDING = new Set(['functions/core/reports/charts.ts'])

describe('configuration', () => {
  it('is read from the environment at the edge only: no module under functions/core reads process.env', () => {
    const readers = sourceFiles('functions/core')
      .filter((file) =>
        /\bprocess\s*(?:\.\s*env\b|\[\s*['"]env['"]\s*\])|\benv\b[^=\n]*\}\s*=\s*process\b/.test(file.text),
      )
      .map((file) => file.path)
    expect(readers.filter((file) => !PENDING.has(file))).toEqual([])
    // the scan sees a read where there is one
    expect(readers).toContain('functions/core/reports/charts.ts')
  })

  it("passes where a bundle ships its queries and Parquet writer to the core, or nothing for the source tree's", () => {
    const lake = { LAKE_BUCKET: 'hotspot-lake', ATHENA_WORKGROUP: 'pipeline', ATHENA_DATABASE: 'hotspot' }
    expect(
      analyticsConfig({ ...lake, QUERIES_DIR: '/var/task/queries/', PARQUET_WASM: '/var/task/parquet.wasm' }),
    ).toMatchObject({ queriesDir: '/var/task/queries/', parquetWasm: '/var/task/parquet.wasm' })
    expect(analyticsConfig(lake)).toMatchObject({ queriesDir: undefined, parquetWasm: undefined })
    const ingest = { LAKE_BUCKET: 'hotspot-lake', FIRST_DROP_DATE: '2026-01-01' }
    expect(ingestConfig({ ...ingest, PARQUET_WASM: '/var/task/parquet.wasm' }).parquetWasm).toBe(
      '/var/task/parquet.wasm',
    )
    expect(ingestConfig(ingest).parquetWasm).toBeUndefined()
  })
})
