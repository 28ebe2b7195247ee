import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AthenaQueryEngine } from '../../functions/adapters/athena-query-engine.ts'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { runSqlCommand, SqlCommandError } from '../../functions/cli/sql-command.ts'
import { ENGINE_STAGING } from '../../functions/cli/sql-engines.ts'
import { stagingPlacement } from '../../functions/core/analytics/mart-sql.ts'

describe('hotspot sql: where each engine puts staging, without opening one', () => {
  it('says what the adapters do: DuckDB builds staging as tables, Athena inlines it', async () => {
    const athena = new AthenaQueryEngine({ workgroup: 'wg', database: 'db' })
    expect(stagingPlacement(athena)).toBe(ENGINE_STAGING[athena.name])
    const folder = await mkdtemp(path.join(tmpdir(), 'hotspot-sql-command-'))
    const duck = await DuckDbLake.open(folder, { stagingCache: false })
    try {
      expect(stagingPlacement(duck)).toBe(ENGINE_STAGING[duck.name])
    } finally {
      duck.close()
      await rm(folder, { recursive: true, force: true })
    }
    expect(Object.keys(ENGINE_STAGING).sort()).toEqual([athena.name, 'duckdb'].sort())
  })

  it('refuses an engine it does not know', async () => {
    const run = runSqlCommand('concentration', { lake: tmpdir(), engine: 'trino', asOf: '2026-03-02' })
    await expect(run).rejects.toThrow(SqlCommandError)
    await expect(run).rejects.toThrow(/unknown engine "trino"; expected one of athena, duckdb/)
  })
})
