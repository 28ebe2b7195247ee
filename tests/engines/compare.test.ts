import { describe, expect, it } from 'vitest'
import type { Column } from '../../functions/core/contracts/columns.ts'
import { martDifferences } from './compare.ts'

const columns: Column[] = [
  { name: 'hotspot_id', kind: 'string', required: true, description: '' },
  { name: 'week_start', kind: 'date', required: true, description: '' },
  { name: 'crimes', kind: 'int', required: false, description: '' },
  { name: 'harm', kind: 'double', required: false, description: '' },
]

const differences = (left: (string | null)[][], right: (string | null)[][]) =>
  martDifferences('m', columns, { engine: 'duckdb', rows: left }, { engine: 'trino', rows: right })

describe('martDifferences', () => {
  const rows = [
    ['H1', '2026-03-02', '3', '10.5'],
    ['H2', '2026-03-02', '0', '0'],
  ]

  it('finds none in the same rows, whatever their order, and in doubles within 1e-9 relative', () => {
    expect(differences(rows, [...rows].reverse())).toEqual([])
    expect(differences(rows, [['H1', '2026-03-02', '3', '10.500000000001'], rows[1] as string[]])).toEqual([])
  })

  it('names the mart, the key and the column of a double further off, an integer, or a null', () => {
    expect(differences(rows, [['H1', '2026-03-02', '3', '10.500001'], rows[1] as string[]])).toEqual([
      'm [hotspot_id="H1", week_start=2026-03-02, crimes=3]: harm duckdb 10.5 vs trino 10.500001',
    ])
    expect(differences(rows, [rows[0] as string[], ['H2', '2026-03-02', '0', null]])).toEqual([
      'm [hotspot_id="H2", week_start=2026-03-02, crimes=0]: harm duckdb 0 vs trino null',
    ])
    expect(differences([['H1', '2026-03-02', '3', 'NaN']], [['H1', '2026-03-02', '3', null]])).toHaveLength(1)
    expect(differences([['H1', '2026-03-02', '3', 'NaN']], [['H1', '2026-03-02', '3', 'NaN']])).toEqual([])
  })

  it('finds a missing row and a changed key', () => {
    expect(differences(rows, [rows[0] as string[]])).toEqual([
      'm: duckdb gave 2 rows, trino 1',
      'm [hotspot_id="H2", week_start=2026-03-02, crimes=0]: only duckdb has this row',
    ])
    expect(differences(rows, [rows[0] as string[], ['H2', '2026-03-02', '1', '0']])).toHaveLength(1)
  })

  it('pairs rows that share a key by their other values, so a different order is no difference', () => {
    const twins = [
      ['H1', '2026-03-02', '3', '1'],
      ['H1', '2026-03-02', '3', '2'],
    ]
    expect(differences(twins, [...twins].reverse())).toEqual([])
    expect(differences(twins, [twins[0] as string[], ['H1', '2026-03-02', '3', '3']])).toHaveLength(1)
  })
})
