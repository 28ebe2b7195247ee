import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type LineBatch,
  MAX_LINE_CHARS,
  OversizedLine,
  type PhysicalLine,
  readLines,
  UndecodableError,
} from '../../functions/core/ingest/lines.ts'
import {
  csvRecords,
  jsonlRecords,
  MAX_JSON_DEPTH,
  type SourceRecord,
} from '../../functions/core/ingest/records.ts'

async function* batchesOf(lines: PhysicalLine[], size = lines.length): AsyncGenerator<LineBatch> {
  for (let i = 0; i < lines.length; i += size) yield { firstLine: i + 1, lines: lines.slice(i, i + size) }
}

async function collect<T>(source: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = []
  for await (const batch of source) out.push(...batch)
  return out
}

const records = (lines: PhysicalLine[], size?: number) => collect(csvRecords(batchesOf(lines, size)))

/** Each record as [line, fields] or [line, error code]. */
function summary(list: SourceRecord[]): [number, string[] | string][] {
  return list.map(
    (r) => ['error' in r ? [r.line, r.error.code] : [r.line, r.fields]][0] as [number, string[] | string],
  )
}

describe('csvRecords framing', () => {
  it('numbers each record by its physical line, header included', async () => {
    expect(summary(await records(['a,b,c', '1,2,3', '4,5,6']))).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2', '3']],
      [3, ['4', '5', '6']],
    ])
  })

  it('keeps the line break of a multi-line quoted field and reports the line the record starts on', async () => {
    expect(summary(await records(['a,b,c', '1,"first', 'second', 'third",3', '4,5,6']))).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', 'first\nsecond\nthird', '3']],
      [5, ['4', '5', '6']],
    ])
  })

  it('keeps a blank line inside a quoted field, skips blank lines between records', async () => {
    expect(summary(await records(['a,b', '', '1,"x', '', 'y"', '   ', '2,z']))).toEqual([
      [1, ['a', 'b']],
      [3, ['1', 'x\n\ny']],
      [7, ['2', 'z']],
    ])
  })

  it('reads doubled quotes and quoted commas', async () => {
    expect(summary(await records(['a,b', '"say ""hi""","x,y"', '"",""']))).toEqual([
      [1, ['a', 'b']],
      [2, ['say "hi"', 'x,y']],
      [3, ['', '']],
    ])
  })

  it('an unclosed quote on line 3 of 6 quarantines line 3 only; lines 4-6 parse', async () => {
    const list = await records(['a,b,c', '1,2,3', '4,"5,6', '7,8,9', '10,11,12', '13,14,15'])
    expect(summary(list)).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2', '3']],
      [3, 'malformed_csv'],
      [4, ['7', '8', '9']],
      [5, ['10', '11', '12']],
      [6, ['13', '14', '15']],
    ])
    const bad = list[2] as SourceRecord
    expect(bad.text).toBe('4,"5,6')
  })

  it('an invalid closing quote ("5"x) is malformed, and only that record', async () => {
    const list = await records(['a,b,c', '1,2,3', '4,"5"x,6', '7,8,9'])
    expect(summary(list)).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', '2', '3']],
      [3, 'malformed_csv'],
      [4, ['7', '8', '9']],
    ])
    expect(
      'error' in (list[2] as SourceRecord) && (list[2] as { error: { reason: string } }).error.reason,
    ).toMatch(/malformed quoting/)
  })

  it('a stray quote is not closed by another stray quote lines later', async () => {
    expect(
      summary(await records(['a,b,c', '1,12" pipe,3', '4,5,6', '7,8,9', '10,5" drain,12', '13,14,15'])),
    ).toEqual([
      [1, ['a', 'b', 'c']],
      [2, 'malformed_csv'],
      [3, ['4', '5', '6']],
      [4, ['7', '8', '9']],
      [5, 'malformed_csv'],
      [6, ['13', '14', '15']],
    ])
  })

  it('a quoted field runs to its closing quote, whatever the width of the record it makes', async () => {
    // line 3 is text inside the quotes of the record on lines 2-4: taking it as a record would invent one
    expect(summary(await records(['a,b,c', '1,"note:', '99,x,y', 'end",3,extra', '4,5,6']))).toEqual([
      [1, ['a', 'b', 'c']],
      [2, ['1', 'note:\n99,x,y\nend', '3', 'extra']],
      [5, ['4', '5', '6']],
    ])
    // an opening quote closed by an inch mark lines later: one record of 2 fields, which the width check refuses
    expect(summary(await records(['a,b,c', '1,"open,3', '4,5,6', '7,8,9', '10,11,12"', '13,14,15']))).toEqual(
      [
        [1, ['a', 'b', 'c']],
        [2, ['1', 'open,3\n4,5,6\n7,8,9\n10,11,12']],
        [6, ['13', '14', '15']],
      ],
    )
  })

  it('a record whose quoted field closes on a later line but then breaks the quoting is malformed whole', async () => {
    const list = await records(['a,b,c', '1,"note:', '99,x,y', 'end" junk,3', '4,5,6'])
    expect(summary(list)).toEqual([
      [1, ['a', 'b', 'c']],
      [2, 'malformed_csv'],
      [5, ['4', '5', '6']],
    ])
    expect((list[1] as SourceRecord).text).toBe('1,"note:\n99,x,y\nend" junk,3')
  })

  it('an oversized line is reported as record_too_large, and the next lines parse', async () => {
    const huge = new OversizedLine('x'.repeat(100), 9_000_000)
    const list = await records(['a,b', '1,2', huge, '3,4'])
    expect(summary(list)).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, 'record_too_large'],
      [4, ['3', '4']],
    ])
    expect((list[2] as { error: { reason: string } }).error.reason).toMatch(/9000000 characters/)
  })

  it('an oversized line ends an open quote: the quote is malformed, the oversized line too large', async () => {
    const huge = new OversizedLine('x', MAX_LINE_CHARS + 1)
    expect(summary(await records(['a,b', '1,"open', huge, '3,4']))).toEqual([
      [1, ['a', 'b']],
      [2, 'malformed_csv'],
      [3, 'record_too_large'],
      [4, ['3', '4']],
    ])
  })

  it('an open quote is given up after 2 MB of following lines, and framing resumes', async () => {
    const filler = Array.from({ length: 30_000 }, (_, i) => `${i},${'y'.repeat(80)}`) // 2.5 MB
    const list = await records(['a,b', '1,"open', ...filler, 'last,row'], 1000)
    expect(list).toHaveLength(1 + 1 + filler.length + 1)
    expect(summary(list.slice(0, 3))).toEqual([
      [1, ['a', 'b']],
      [2, 'malformed_csv'],
      [3, ['0', 'y'.repeat(80)]],
    ])
    expect(summary(list.slice(-1))).toEqual([[30_003, ['last', 'row']]])
    expect(list.filter((r) => 'error' in r)).toHaveLength(1)
  })

  it('keeps line numbers across input batches and output batches of 2000 records', async () => {
    // data row i is on line i + 1; rows 2999 and 3000 (lines 3000-3001) form one record
    const lines = ['a,b']
    for (let i = 1; i <= 4500; i++)
      lines.push(i === 2999 ? `${i},"multi` : i === 3000 ? 'line"' : `${i},"q${i}"`)
    const list = await records(lines, 7)
    expect(list).toHaveLength(1 + 4499)
    const byLine = new Map(summary(list))
    expect(byLine.get(2002)).toEqual(['2001', 'q2001'])
    expect(byLine.get(3000)).toEqual(['2999', 'multi\nline'])
    expect(byLine.has(3001)).toBe(false)
    expect(byLine.get(3002)).toEqual(['3001', 'q3001'])
    expect(byLine.get(4501)).toEqual(['4500', 'q4500'])
    expect(list.map((r) => r.line)).toEqual([...list.map((r) => r.line)].sort((a, b) => a - b))
  })

  it('a bare CR inside a field is data, not a record break, wherever the record falls', async () => {
    expect(summary(await records(['a,b', '1,x\ry', '2,z']))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', 'x\ry']],
      [3, ['2', 'z']],
    ])
    // csv-parse guesses the record delimiter from the first line break it meets: CR here, unless told LF
    expect(summary(await records(['a,b', '"1",x\ry', '"2",z']))).toEqual([
      [1, ['a', 'b']],
      [2, ['1', 'x\ry']],
      [3, ['2', 'z']],
    ])
  })
})

describe('jsonlRecords', () => {
  it('reads one object per line, skips blank lines and reports bad lines', async () => {
    const list = await collect(
      jsonlRecords(batchesOf(['{"a":1}', '', '{"a":', '[1]', 'null', '  {"b":"x"}  '])),
    )
    expect(list.map((r) => ('error' in r ? [r.line, r.error.code] : [r.line, r.object]))).toEqual([
      [1, { a: 1 }],
      [3, 'invalid_json'],
      [4, 'invalid_json'],
      [5, 'invalid_json'],
      [6, { b: 'x' }],
    ])
  })

  it('refuses a row nested deeper than MAX_JSON_DEPTH, counting the row object as level 1', async () => {
    const nested = (depth: number) => `{"a": ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`
    const list = await collect(
      jsonlRecords(
        batchesOf([nested(MAX_JSON_DEPTH), nested(MAX_JSON_DEPTH + 1), `{"a": "${'['.repeat(99)}"}`]),
      ),
    )
    expect(list.map((r) => ('error' in r ? [r.line, r.error.reason] : [r.line, 'read']))).toEqual([
      [1, 'read'],
      [2, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`],
      [3, 'read'],
    ])
  })

  it('the reason for invalid JSON quotes none of the row', async () => {
    const [record] = await collect(jsonlRecords(batchesOf(['{"name": "Jane Quartermaine", "q": tru}'])))
    expect(record && 'error' in record && record.error.reason).toMatch(/^invalid JSON: /)
    expect(JSON.stringify(record && 'error' in record && record.error)).not.toMatch(/Quartermaine|tru/)
  })
})

describe('readLines', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hotspot-lines-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  async function linesOf(content: string | Buffer, encoding: 'utf-8' | 'windows-1252' = 'utf-8') {
    const file = path.join(dir, `f-${Math.random().toString(36).slice(2)}`)
    await writeFile(file, content)
    const out: [number, PhysicalLine][] = []
    for await (const { firstLine, lines } of readLines(file, encoding)) {
      for (const [i, l] of lines.entries()) out.push([firstLine + i, l])
    }
    return out
  }

  it('splits LF and CRLF lines, drops a UTF-8 BOM, keeps a final line without newline', async () => {
    expect(await linesOf('\uFEFFa,b\r\n1,2\n3,4')).toEqual([
      [1, 'a,b'],
      [2, '1,2'],
      [3, '3,4'],
    ])
  })

  it('decodes Windows-1252 when declared and refuses it as UTF-8', async () => {
    const bytes = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x2c, 0xa3, 0x35, 0x2c, 0x80, 0x0a]) // Caf\xe9,\xa35,\x80
    expect(await linesOf(bytes, 'windows-1252')).toEqual([[1, 'Caf\u00e9,\u00a35,\u20ac']])
    await expect(linesOf(bytes)).rejects.toBeInstanceOf(UndecodableError)
  })

  it('keeps only a preview of a line longer than MAX_LINE_CHARS, and reads on', async () => {
    const long = 'z'.repeat(MAX_LINE_CHARS + 10)
    const lines = await linesOf(`a,b\n${long}\n1,2\n`)
    expect(lines).toHaveLength(3)
    const [line, oversized] = lines[1] as [number, PhysicalLine]
    expect(line).toBe(2)
    expect(oversized).toBeInstanceOf(OversizedLine)
    expect((oversized as OversizedLine).length).toBe(MAX_LINE_CHARS + 10)
    expect((oversized as OversizedLine).preview.length).toBeLessThanOrEqual(4096)
    expect(lines[2]).toEqual([3, '1,2'])
    const list = await collect(
      csvRecords(
        (async function* () {
          yield { firstLine: 1, lines: lines.map(([, l]) => l) }
        })(),
      ),
    )
    expect(summary(list)).toEqual([
      [1, ['a', 'b']],
      [2, 'record_too_large'],
      [3, ['1', '2']],
    ])
  })
})
