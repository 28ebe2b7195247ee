import { readFileSync } from 'node:fs'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { expect, it } from 'vitest'
import { KOPER } from '../../functions/core/reports/koper.ts'

const SHR_KOPER = path.resolve(import.meta.dirname, '../../queries/shared/shr_koper.sql')

it("the reports' Koper minutes are those of queries/shared/shr_koper.sql, which the marts compare with", async () => {
  const instance = await DuckDBInstance.create(':memory:')
  const connection = await instance.connect()
  try {
    const rows = (await connection.runAndReadAll(readFileSync(SHR_KOPER, 'utf8'))).getRowObjectsJson()
    expect(rows).toEqual([{ min_minutes: KOPER.minMinutes, max_minutes: KOPER.maxMinutes }])
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
})
