import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { safeCell, safeCsv } from '../../functions/core/reports/document/csv.ts'

describe('safeCell', () => {
  it.each([
    ['=SUM(1)', "'=SUM(1)"],
    ['+1+1', "'+1+1"],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'],
    ['-17', "'-17"],
    ['harmless', 'harmless'],
    [' =1', ' =1'],
    ['a=1', 'a=1'],
    ["'already", "'already"],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(safeCell(input)).toBe(expected)
  })

  it('writes finite numbers as numbers, negative ones too', () => {
    expect(safeCell(-17.1)).toBe('-17.1')
    expect(safeCell(0)).toBe('0')
    expect(safeCell(1088)).toBe('1088')
    expect(safeCell(Number.NEGATIVE_INFINITY)).toBe("'-Infinity")
  })

  it('writes null and undefined empty, dates as ISO and booleans as words', () => {
    expect(safeCell(null)).toBe('')
    expect(safeCell(undefined)).toBe('')
    expect(safeCell(new Date('2026-10-31T23:00:00Z'))).toBe('2026-10-31T23:00:00.000Z')
    expect(safeCell(false)).toBe('false')
  })
})

describe('safeCsv', () => {
  it('writes a header and the rows in column order, CRLF line ends', () => {
    const csv = safeCsv(
      [
        { name: 'a', value: 1 },
        { value: 2, name: 'b', ignored: 'x' },
      ],
      ['name', 'value'],
    )
    expect(csv).toBe('name,value\r\na,1\r\nb,2\r\n')
  })

  it('prefixes formulas and quotes commas, quotes and line breaks, and parses back', () => {
    const rows = [
      { cell: '=SUM(1)', note: 'a, b' },
      { cell: '@cmd', note: 'say "hi"' },
      { cell: '-1+2', note: 'two\nlines' },
      { cell: '\tx', note: '\r\nstarts with CR' },
      { cell: -5, note: null },
    ]
    const csv = safeCsv(rows, ['cell', 'note'])
    const parsed = parse(csv, { columns: true }) as Record<string, string>[]
    expect(parsed).toEqual([
      { cell: "'=SUM(1)", note: 'a, b' },
      { cell: "'@cmd", note: 'say "hi"' },
      { cell: "'-1+2", note: 'two\nlines' },
      { cell: "'\tx", note: "'\r\nstarts with CR" },
      { cell: '-5', note: '' },
    ])
    // nothing but a plain number may start with a formula character
    for (const row of parsed)
      for (const value of Object.values(row))
        if (!/^-?\d+(\.\d+)?$/.test(value)) expect(value).not.toMatch(/^[=+\-@\t\r]/)
  })

  it('defuses header cells too', () => {
    expect(safeCsv([], ['=bad', 'ok'])).toBe("'=bad,ok\r\n")
  })
})
