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
})
