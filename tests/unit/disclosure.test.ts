import { describe, expect, it } from 'vitest'
import {
  type CellStatus,
  type DisclosedTable,
  type DisclosureCell,
  DisclosureError,
  type DisclosureTable,
  discloseTable,
  isSmallCount,
} from '../../functions/core/reports/funder/disclosure.ts'

/** A table of counts: rows of [label, ...values] under `columns`. */
function counts(columns: string[], rows: [string, ...(number | null)[]][]): DisclosureTable['rows'] {
  return rows.map(([label, ...values]) => ({
    label,
    cells: values.map((value, i) => ({ column: columns[i] as string, kind: 'count' as const, value })),
  }))
}

/** The displays of a disclosed table, row by row. */
const shown = (t: DisclosedTable) => t.rows.map((r) => [r.label, ...r.cells.map((c) => c.display)])
const statuses = (t: DisclosedTable) => t.rows.map((r) => r.cells.map((c) => c.status))

describe('rule 1: counts of 1 to 9', () => {
  it('shows 1 to 9 as <10, and 0, 10 and more as they are', () => {
    const t = discloseTable({
      rows: counts(
        ['n'],
        [
          ['a', 0],
          ['b', 1],
          ['c', 9],
          ['d', 10],
          ['e', 11],
          ['f', 1234],
        ],
      ),
    })
    expect(shown(t)).toEqual([
      ['a', '0'],
      ['b', '<10'],
      ['c', '<10'],
      ['d', '10'],
      ['e', '11'],
      ['f', '1,234'],
    ])
    expect(t.rows.map((r) => r.cells[0]?.suppressed)).toEqual([false, true, true, false, false, false])
  })

  it('a single small cell in a table without totals needs nothing more', () => {
    const t = discloseTable({ rows: counts(['x', 'y', 'z'], [['r', 3, 0, 25]]) })
    expect(shown(t)).toEqual([['r', '<10', '0', '25']])
    expect(statuses(t)).toEqual([['under10', 'shown', 'shown']])
  })

  it('keeps no withheld value in the disclosed table', () => {
    const t = discloseTable({ rows: counts(['x', 'y', 't'], [['r', 4, 15, 19]]), rowTotal: 't' })
    const [small, secondary] = t.rows[0]?.cells ?? []
    expect(small).toMatchObject({ value: null, csv: '<10', display: '<10' })
    expect(secondary).toMatchObject({
      value: null,
      csv: 'withheld',
      display: 'withheld',
      status: 'secondary',
    })
    expect(JSON.stringify(t)).not.toMatch(/\b(4|15)\b/)
  })

  it('shows an empty count as n/a, not suppressed', () => {
    const t = discloseTable({ rows: counts(['n'], [['a', null]]) })
    expect(t.rows[0]?.cells[0]).toMatchObject({
      status: 'missing',
      display: 'n/a',
      csv: '',
      suppressed: false,
    })
  })

  it('isSmallCount', () => {
    expect([0, 0.5, 1, 9, 9.5, 10, null, undefined].map(isSmallCount)).toEqual([
      false,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ])
  })
})

describe('rule 2: secondary suppression', () => {
  it('row total: one small cell takes the next smallest of its row with it', () => {
    // 4 + 20 + 15 = 39: 4 is <10, and 15 (the next smallest) goes too, or 39 - 20 - 15 would give 4
    const t = discloseTable({
      rows: counts(['a', 'b', 'c', 'total'], [['r', 4, 20, 15, 39]]),
      rowTotal: 'total',
    })
    expect(shown(t)).toEqual([['r', '<10', '20', 'withheld', '39']])
    expect(statuses(t)).toEqual([['under10', 'shown', 'secondary', 'shown']])
  })

  it('column total: one small cell takes the next smallest of its column with it', () => {
    const t = discloseTable({
      rows: counts(
        ['n'],
        [
          ['A', 5],
          ['B', 20],
          ['C', 11],
          ['Total', 36],
        ],
      ),
      columnTotal: 'Total',
    })
    expect(shown(t)).toEqual([
      ['A', '<10'],
      ['B', '20'],
      ['C', 'withheld'],
      ['Total', '36'],
    ])
  })

  it('two small cells protect each other (8 withheld in all: each could be 1 to 7)', () => {
    const t = discloseTable({
      rows: counts(['a', 'b', 'c', 'total'], [['r', 3, 5, 40, 48]]),
      rowTotal: 'total',
    })
    expect(shown(t)).toEqual([['r', '<10', '<10', '40', '48']])
  })

  it('skips zeros when picking the next smallest (a withheld 0 would give the small cell away)', () => {
    const t = discloseTable({
      rows: counts(['a', 'b', 'c', 'd', 'total'], [['r', 2, 0, 30, 12, 44]]),
      rowTotal: 'total',
    })
    expect(shown(t)).toEqual([['r', '<10', '0', '30', 'withheld', '44']])
  })

  it('picks the first of equal next smallest cells', () => {
    const t = discloseTable({
      rows: counts(['a', 'b', 'c', 'total'], [['r', 6, 12, 12, 30]]),
      rowTotal: 'total',
    })
    expect(shown(t)).toEqual([['r', '<10', 'withheld', '12', '30']])
  })

  it('a total of 1 to 9 is <10 itself, which protects its only small cell', () => {
    const t = discloseTable({ rows: counts(['a', 'b', 'total'], [['r', 3, 0, 3]]), rowTotal: 'total' })
    expect(shown(t)).toEqual([['r', '<10', '0', '<10']])
  })

  it('suppresses the total when no other cell can be', () => {
    // an 'all' that is not an exact sum (overlapping hotspots): 5 and 0 under a total of 12
    const t = discloseTable({
      rows: counts(
        ['n'],
        [
          ['A', 5],
          ['B', 0],
          ['All', 12],
        ],
      ),
      columnTotal: 'All',
    })
    expect(shown(t)).toEqual([
      ['A', '<10'],
      ['B', '0'],
      ['All', 'withheld'],
    ])
  })

  it('goes on when two suppressed cells still give a small one away', () => {
    // 1 + 1 + 40 = 42: two <10 summing to 2 must both be 1, so 40 goes as well
    const ones = discloseTable({ rows: counts(['a', 'b', 'c', 't'], [['r', 1, 1, 40, 42]]), rowTotal: 't' })
    expect(shown(ones)).toEqual([['r', '<10', '<10', 'withheld', '42']])
    // 9 + 9 + 40 = 58: two <10 summing to 18 must both be 9
    const nines = discloseTable({ rows: counts(['a', 'b', 'c', 't'], [['r', 9, 9, 40, 58]]), rowTotal: 't' })
    expect(shown(nines)).toEqual([['r', '<10', '<10', 'withheld', '58']])
    // 1 + 10 + 50 = 61: a <10 and a withheld (10 or more) summing to 11 are 1 and 10, so 50 goes too
    const edge = discloseTable({ rows: counts(['a', 'b', 'c', 't'], [['r', 1, 10, 50, 61]]), rowTotal: 't' })
    expect(shown(edge)).toEqual([['r', '<10', 'withheld', 'withheld', '61']])
  })

  it('applies both directions with a row total and a column total', () => {
    //          x    y   total
    // r1       3   40     43
    // r2      20   12     32
    // r3      25   30     55
    // Total   48   82    130
    // row r1: 3 is small, so 40 goes; column x: 3 is the only one, so 20 (next smallest) goes;
    // column y: 40 is the only one, so 12 goes; row r2 then has two (20, 12) and is protected.
    const t = discloseTable({
      rows: counts(
        ['x', 'y', 'total'],
        [
          ['r1', 3, 40, 43],
          ['r2', 20, 12, 32],
          ['r3', 25, 30, 55],
          ['Total', 48, 82, 130],
        ],
      ),
      rowTotal: 'total',
      columnTotal: 'Total',
    })
    expect(shown(t)).toEqual([
      ['r1', '<10', 'withheld', '43'],
      ['r2', 'withheld', 'withheld', '32'],
      ['r3', '25', '30', '55'],
      ['Total', '48', '82', '130'],
    ])
  })

  it('propagates until stable: a suppression down a column reopens a row already checked', () => {
    //          x    y    z   total
    // r1       3   40   50     93
    // r2      20   60   11     91
    // r3      25   35   70    130
    // Total   48  135  131    314
    // pass 1, rows:    r1: 3 small -> y=40 (next smallest of r1)
    // pass 1, columns: x: r1 only -> r2.x=20; y: r1.y only -> r3.y=35; z: nothing
    // pass 2, rows:    r2: x only -> z=11; r3: y only -> x=25
    // pass 2, columns: x: three withheld; y: two; z: r2.z only -> r1.z=50
    // pass 3: every line has two or more suppressed cells and no small one pinned: stable
    const t = discloseTable({
      rows: counts(
        ['x', 'y', 'z', 'total'],
        [
          ['r1', 3, 40, 50, 93],
          ['r2', 20, 60, 11, 91],
          ['r3', 25, 35, 70, 130],
          ['Total', 48, 135, 131, 314],
        ],
      ),
      rowTotal: 'total',
      columnTotal: 'Total',
    })
    expect(shown(t)).toEqual([
      ['r1', '<10', 'withheld', 'withheld', '93'],
      ['r2', 'withheld', '60', 'withheld', '91'],
      ['r3', 'withheld', 'withheld', '70', '130'],
      ['Total', '48', '135', '131', '314'],
    ])
    // every line with a suppressed cell has at least two
    for (const row of t.rows) expect(row.cells.filter((c) => c.suppressed).length).not.toBe(1)
    for (let i = 0; i < 4; i++) expect(t.rows.filter((r) => r.cells[i]?.suppressed).length).not.toBe(1)
  })

  it('leaves tables without totals, and columns that are not counts, alone', () => {
    const t = discloseTable({
      rows: [
        {
          label: 'A',
          cells: [
            { column: 'n', kind: 'count', value: 4 },
            { column: 'pct', kind: 'percent', value: 40, numerator: 4, denominator: 10 },
          ],
        },
        { label: 'B', cells: [{ column: 'n', kind: 'count', value: 30 }] },
        { label: 'All', cells: [{ column: 'n', kind: 'count', value: 34 }] },
      ],
    })
    expect(shown(t)).toEqual([
      ['A', '<10', 'withheld'],
      ['B', '30'],
      ['All', '34'],
    ])
  })
})

describe('rule 2: a count over a group is withheld with it', () => {
  /** Bands of hotspot-days with the crimes on them, and the total row: crimes name their band's days as basis. */
  const bands = (rows: [string, number, number][]): DisclosureTable => ({
    rows: rows.map(([label, days, crimes]) => ({
      label,
      cells: [
        { column: 'days', kind: 'count', value: days },
        { column: 'crimes', kind: 'count', value: crimes, basis: ['days'] },
        { column: 'per_day', kind: 'statistic', value: crimes / days, basis: ['days', 'crimes'] },
      ],
    })),
    columnTotal: 'all',
  })

  it('withholds the crimes of a band with under 10 days, and a next smallest band down both columns', () => {
    const t = discloseTable(
      bands([
        ['a', 4, 25],
        ['b', 40, 30],
        ['c', 200, 120],
        ['all', 244, 175],
      ]),
    )
    expect(shown(t)).toEqual([
      ['a', '<10', 'withheld', 'withheld'],
      ['b', 'withheld', 'withheld', 'withheld'],
      ['c', '200', '120', '0.60'],
      ['all', '244', '175', '0.72'],
    ])
    expect(statuses(t)).toEqual([
      ['under10', 'withheld', 'withheld'],
      ['secondary', 'secondary', 'withheld'],
      ['shown', 'shown', 'shown'],
      ['shown', 'shown', 'shown'],
    ])
  })

  it('withholds a 0 over a small group too, and protects it: the crimes of a withheld band are not 0 for sure', () => {
    const t = discloseTable(
      bands([
        ['a', 3, 0],
        ['b', 20, 12],
        ['c', 30, 40],
        ['all', 53, 52],
      ]),
    )
    expect(shown(t)).toEqual([
      ['a', '<10', 'withheld', 'withheld'],
      ['b', 'withheld', 'withheld', 'withheld'],
      ['c', '30', '40', '1.33'],
      ['all', '53', '52', '0.98'],
    ])
  })

  it('leaves a count over a group that is shown alone', () => {
    const t = discloseTable(
      bands([
        ['a', 12, 0],
        ['b', 20, 12],
        ['all', 32, 12],
      ]),
    )
    expect(
      statuses(t)
        .flat()
        .every((s) => s === 'shown'),
    ).toBe(true)
  })

  it('refuses a count over a cell that is not a count', () => {
    const table: DisclosureTable = {
      rows: [
        {
          label: 'r',
          cells: [
            { column: 'n', kind: 'count', value: 12 },
            { column: 'harm', kind: 'days', value: 30, basis: ['n'] },
            { column: 'crimes', kind: 'count', value: 20, basis: ['harm'] },
          ],
        },
      ],
    }
    expect(() => discloseTable(table)).toThrow(/not a count of the table/)
  })
})

describe('rule 3: rates, percentages, harm and other derived figures', () => {
  const rate = (
    numerator: number | null,
    denominator: number | null,
    value: number | null,
  ): DisclosureCell => ({
    column: 'rate',
    kind: 'rate',
    value,
    numerator,
    denominator,
  })
  const one = (cell: DisclosureCell) =>
    discloseTable({ rows: [{ label: 'r', cells: [cell] }] }).rows[0]?.cells[0]

  it.each<[string, number | null, number | null, number | null, string, CellStatus]>([
    ['numerator under 10', 5, 40, 0.125, 'withheld', 'withheld'],
    ['denominator under 10', 4, 8, 0.5, 'withheld', 'withheld'],
    ['numerator 0, denominator under 10', 0, 4, 0, 'withheld', 'withheld'],
    ['numerator 0, denominator 20', 0, 20, 0, '0.0%', 'shown'],
    ['both 10 or more', 55, 213, 55 / 213, '25.8%', 'shown'],
    ['exactly 10 of 10', 10, 10, 1, '100.0%', 'shown'],
    ['nothing to divide by', 0, 0, null, 'n/a', 'missing'],
  ])('a rate with %s', (_, numerator, denominator, value, display, status) => {
    expect(one(rate(numerator, denominator, value))).toMatchObject({ display, status })
  })

  it('a percentage is withheld with its count cell, even a secondary one of 10 or more', () => {
    // searches 4 + 15 = 19 (total): 15 is secondary, so the find rate on 15 searches goes too
    const searchRow = (label: string, searches: number, finds: number) => ({
      label,
      cells: [
        { column: 'searches', kind: 'count' as const, value: searches },
        { column: 'finds', kind: 'count' as const, value: finds },
        { ...rate(finds, searches, finds / searches), column: 'find_rate', basis: ['searches', 'finds'] },
      ],
    })
    const t = discloseTable({
      rows: [searchRow('A', 4, 0), searchRow('B', 15, 12), searchRow('All', 19, 12)],
      columnTotal: 'All',
    })
    expect(shown(t)).toEqual([
      ['A', '<10', '0', 'withheld'],
      ['B', 'withheld', '12', 'withheld'],
      ['All', '19', '12', '63.2%'],
    ])
  })

  it('harm (CCHI days) is withheld with its incident count, from the same row or another', () => {
    const t = discloseTable({
      rows: [
        {
          key: 'count',
          label: 'Incidents',
          cells: [
            { column: 'month', kind: 'count', value: 7 },
            { column: 'last_year', kind: 'count', value: 12 },
          ],
        },
        {
          key: 'harm',
          label: 'Harm',
          cells: [
            { column: 'month', kind: 'days', value: 365, basis: [{ row: 'count', column: 'month' }] },
            {
              column: 'last_year',
              kind: 'days',
              value: 1210.4,
              basis: [{ row: 'count', column: 'last_year' }],
            },
            { column: 'standalone', kind: 'days', value: 90, counts: [3] },
          ],
        },
      ],
    })
    expect(shown(t)).toEqual([
      ['Incidents', '<10', '12'],
      ['Harm', 'withheld', '1,210', 'withheld'],
    ])
  })

  it('a flag and a statistic are withheld with the counts they compare', () => {
    const t = discloseTable({
      rows: [
        {
          label: 'Arrests',
          cells: [
            { column: 'month', kind: 'count', value: 14 },
            { column: 'last_year', kind: 'count', value: 6 },
            {
              column: 'change',
              kind: 'statistic',
              value: 133.3,
              suffix: '%',
              decimals: 1,
              basis: ['month', 'last_year'],
            },
            { column: 'flag', kind: 'text', value: null, text: 'no significant change', basis: ['change'] },
          ],
        },
        {
          label: 'Searches',
          cells: [
            { column: 'month', kind: 'count', value: 40 },
            { column: 'last_year', kind: 'count', value: 20 },
            {
              column: 'change',
              kind: 'statistic',
              value: 100,
              suffix: '%',
              decimals: 1,
              basis: ['month', 'last_year'],
            },
            { column: 'flag', kind: 'text', value: null, text: 'no significant change', basis: ['change'] },
          ],
        },
      ],
    })
    expect(shown(t)).toEqual([
      ['Arrests', '14', '<10', 'withheld', 'withheld'],
      ['Searches', '40', '20', '100.0%', 'no significant change'],
    ])
  })

  it('formats numbers for people and for CSV', () => {
    const t = discloseTable({
      rows: [
        {
          label: 'r',
          cells: [
            { column: 'days', kind: 'days', value: 34530.68, counts: [359] },
            { column: 'pct', kind: 'percent', value: 63.636, numerator: 21, denominator: 33 },
            { column: 'rate', kind: 'rate', value: 0.25821, numerator: 55, denominator: 213 },
            { column: 'wdq', kind: 'statistic', value: -0.0004, counts: [100] },
            // ties in decimal that toFixed rounds the wrong way: 28.549999999999997 (0.2855 * 100) and -39.549999...
            { column: 'tie_rate', kind: 'rate', value: 0.2855, numerator: 55, denominator: 213 },
            { column: 'tie_wdd', kind: 'statistic', value: -39.55, decimals: 1, counts: [100] },
            { column: 'none', kind: 'statistic', value: null, counts: [100], empty: 'not applicable' },
          ],
        },
      ],
    })
    expect(t.rows[0]?.cells.map((c) => [c.display, c.csv, c.unit])).toEqual([
      ['34,531', 34531, 'days'],
      ['63.6%', 63.6, 'percent'],
      ['25.8%', 25.8, 'percent'],
      ['0.00', 0, 'number'],
      ['28.6%', 28.6, 'percent'],
      ['\u221239.6', -39.6, 'number'],
      ['not applicable', '', 'number'],
    ])
  })
})

describe('refused tables', () => {
  it.each<[string, DisclosureTable, RegExp]>([
    [
      'a rate without its counts',
      { rows: [{ label: 'r', cells: [{ column: 'rate', kind: 'rate', value: 0.5 }] }] },
      /numerator and denominator/,
    ],
    [
      'harm without its count',
      { rows: [{ label: 'r', cells: [{ column: 'harm', kind: 'days', value: 365 }] }] },
      /which counts/,
    ],
    [
      'a basis that is not in the table',
      { rows: [{ label: 'r', cells: [{ column: 'harm', kind: 'days', value: 365, basis: ['nope'] }] }] },
      /no such cell/,
    ],
    [
      'a negative count',
      { rows: [{ label: 'r', cells: [{ column: 'n', kind: 'count', value: -1 }] }] },
      /not negative/,
    ],
    [
      'two rows with one key',
      {
        rows: [
          { label: 'r', cells: [] },
          { label: 'r', cells: [] },
        ],
      },
      /two rows/,
    ],
    [
      'a total row that is not there',
      { rows: [{ label: 'r', cells: [] }], columnTotal: 'All' },
      /not in the table/,
    ],
  ])('%s', (_, table, message) => {
    expect(() => discloseTable(table)).toThrow(DisclosureError)
    expect(() => discloseTable(table)).toThrow(message)
  })
})
