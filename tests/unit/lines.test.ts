import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readLines, UndecodableError } from '../../functions/core/ingest/lines.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-lines-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function collect(file: string, encoding: 'utf-8' | 'windows-1252' = 'utf-8'): Promise<string[]> {
  const lines: string[] = []
  for await (const batch of readLines(file, encoding)) lines.push(...(batch.lines as string[]))
  return lines
}

describe('readLines', () => {
  it('strips a UTF-8 BOM and CR of CRLF endings, keeping a last line without a newline', async () => {
    const file = path.join(dir, 'a.csv')
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\r\n1,2\r\n3,4')]))
    expect(await collect(file)).toEqual(['a,b', '1,2', '3,4'])
  })

  it('names the line and byte of the first byte that is not UTF-8', async () => {
    const file = path.join(dir, 'b.csv')
    // "a,b\n" (4 bytes) + "1,2\n" (4 bytes) + "Caf" (3 bytes): the Windows-1252 é (0xE9) is byte 11, on line 3
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('a,b\n1,2\nCaf'), Buffer.from([0xe9]), Buffer.from(',x\n')]),
    )
    const error = await collect(file).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UndecodableError)
    expect(error).toMatchObject({ line: 3, byteOffset: 11 })
    expect((error as Error).message).toMatch(/^line 3 \(byte 11\) is not valid UTF-8/)
  })

  it('decodes the same bytes when Windows-1252 is declared', async () => {
    const file = path.join(dir, 'c.csv')
    writeFileSync(
      file,
      Buffer.concat([Buffer.from('name\nCaf'), Buffer.from([0xe9, 0x20, 0x80]), Buffer.from('\n')]),
    )
    expect(await collect(file, 'windows-1252')).toEqual(['name', 'Café €'])
  })

  it('refuses a file declared Windows-1252 that is valid UTF-8 with a multi-byte character, naming where', async () => {
    const file = path.join(dir, 'd.csv')
    // "name\n" (5 bytes) + "x\n" (2 bytes) + "Caf" (3 bytes): the UTF-8 é (C3 A9) starts at byte 10, on line 3
    writeFileSync(file, 'name\nx\nCafé\nplain\n')
    const error = await collect(file, 'windows-1252').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UndecodableError)
    expect(error).toMatchObject({ line: 3, byteOffset: 10 })
    expect((error as Error).message).toBe(
      'declared windows-1252, but the file is valid UTF-8 with multi-byte characters (the first on line 3, ' +
        'byte 10), which windows-1252 would store garbled (é as Ã©): ingest it as UTF-8',
    )
  })

  it('reads a file declared Windows-1252 as such when it is plain ASCII, or not valid UTF-8', async () => {
    const ascii = path.join(dir, 'e.csv')
    writeFileSync(ascii, 'name\nCafe\n')
    expect(await collect(ascii, 'windows-1252')).toEqual(['name', 'Cafe'])
    // Ã© in Windows-1252 (C3 A9) is valid UTF-8; the é (E9) after it is not: the file is Windows-1252
    const mixed = path.join(dir, 'f.csv')
    writeFileSync(mixed, Buffer.concat([Buffer.from('name\n'), Buffer.from([0xc3, 0xa9, 0x0a, 0xe9, 0x0a])]))
    expect(await collect(mixed, 'windows-1252')).toEqual(['name', 'Ã©', 'é'])
  })

  it('finds the first multi-byte character of a UTF-8 file declared Windows-1252 past the first chunk', async () => {
    const file = path.join(dir, 'g.csv')
    const filler = 'x'.repeat(99) // 100 bytes a line with its LF: 3,000 lines span two 256 KiB chunks
    writeFileSync(file, `${`${filler}\n`.repeat(3000)}Café\n`)
    const error = await collect(file, 'windows-1252').catch((e: unknown) => e)
    expect(error).toMatchObject({ line: 3001, byteOffset: 300_003 })
  })
})

/** Batches and the error, if any, of readLines over a file or its bytes. */
async function read(source: string | Buffer, encoding: 'utf-8' | 'windows-1252') {
  const batches: unknown[] = []
  try {
    for await (const batch of readLines(source, encoding)) batches.push(batch)
    return { batches }
  } catch (error) {
    return { batches, error }
  }
}

describe('readLines from bytes read whole (a small drop)', () => {
  const long = 'x'.repeat(300 * 1024)
  it.each([
    [
      'a BOM and CRLF endings',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\r\n1,2\r\n3,4')]),
      'utf-8',
    ],
    ['lines across the 256 KiB pieces', Buffer.from(`h\n${long}\né,${long}\nlast\n`), 'utf-8'],
    [
      'a byte that is not UTF-8 past the first piece',
      Buffer.concat([Buffer.from(`h\n${long}\nCaf`), Buffer.from([0xe9, 0x0a])]),
      'utf-8',
    ],
    ['UTF-8 declared Windows-1252', Buffer.from(`h\n${long}\nCafé\n`), 'windows-1252'],
    ['Windows-1252', Buffer.from([0x61, 0x0a, 0x43, 0x61, 0x66, 0xe9, 0x0a]), 'windows-1252'],
  ] as const)('gives what the file gives: %s', async (_, bytes, encoding) => {
    const file = path.join(dir, 'drop.csv')
    writeFileSync(file, bytes)
    const fromFile = await read(file, encoding)
    expect(await read(bytes, encoding)).toEqual(fromFile)
    expect(fromFile.batches.length + (fromFile.error ? 1 : 0)).toBeGreaterThan(0)
  })
})
