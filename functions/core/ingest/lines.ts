import { isAscii } from 'node:buffer'
import { createReadStream, type ReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'

export type Encoding = 'utf-8' | 'windows-1252'

/** A physical line too long to keep in memory: only its start is kept, for the quarantine record. */
export class OversizedLine {
  constructor(
    readonly preview: string,
    readonly length: number,
  ) {}
}

export type PhysicalLine = string | OversizedLine

export interface LineBatch {
  /** 1-based number of the first line in `lines`. */
  firstLine: number
  lines: PhysicalLine[]
}

/** Lines longer than this are not held whole; far above any legal row (64 KiB per field). */
export const MAX_LINE_CHARS = 8 * 1024 * 1024
const PREVIEW_CHARS = 4096

/** The file cannot be read in its declared encoding, or reading it so would store garbled text. */
export class UndecodableError extends Error {
  override name = 'UndecodableError'
  constructor(
    readonly encoding: Encoding,
    readonly byteOffset: number,
    readonly line: number,
    message = encoding === 'utf-8'
      ? `line ${line} (byte ${byteOffset}) is not valid UTF-8 (declare windows-1252 if the file is in that encoding)`
      : `line ${line} (byte ${byteOffset}) cannot be decoded as ${encoding}`,
  ) {
    super(message)
  }
}

/**
 * Watches a file declared windows-1252 for signs that it is UTF-8. Any bytes decode as windows-1252, so a UTF-8
 * file declared so would be stored garbled (é as Ã©) without an error. Windows-1252 text is almost never valid
 * UTF-8 once it holds a byte above 0x7F (é alone, E9, is not), so a file that is valid UTF-8 to its end and holds a
 * multi-byte character is taken to be mis-declared. A pure ASCII file reads the same either way.
 */
class MisdeclaredUtf8Check {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true })
  private valid = true
  private firstMultiByte: { byteOffset: number; line: number } | undefined

  /** `chunk` starts at byte `byteOffset` of the file, on line `line`. */
  take(chunk: Buffer, byteOffset: number, line: number): void {
    if (!this.valid) return
    try {
      this.utf8.decode(chunk, { stream: true })
    } catch {
      this.valid = false
      return
    }
    if (this.firstMultiByte || isAscii(chunk)) return
    const at = chunk.findIndex((byte) => byte > 0x7f)
    if (at === -1) return
    let newlines = 0
    for (let i = chunk.indexOf(0x0a); i !== -1 && i < at; i = chunk.indexOf(0x0a, i + 1)) newlines++
    this.firstMultiByte = { byteOffset: byteOffset + at, line: line + newlines }
  }

  /** At the end of the file: the error to throw if it was UTF-8 all along. */
  misdeclared(): UndecodableError | undefined {
    if (!this.valid || !this.firstMultiByte) return undefined
    try {
      this.utf8.decode()
    } catch {
      return undefined
    }
    const { byteOffset, line } = this.firstMultiByte
    return new UndecodableError(
      'windows-1252',
      byteOffset,
      line,
      `declared windows-1252, but the file is valid UTF-8 with multi-byte characters (the first on line ${line}, ` +
        `byte ${byteOffset}), which windows-1252 would store garbled (é as Ã©): ingest it as UTF-8`,
    )
  }
}

/** Where in a chunk the first undecodable byte sits, found by decoding it again leniently. */
function locateInvalid(chunk: Buffer, encoding: Encoding): { bytes: number; newlines: number } {
  const lenient = new TextDecoder(encoding).decode(chunk)
  const prefix = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD')))
  return { bytes: Buffer.byteLength(prefix, 'utf8'), newlines: prefix.split('\n').length - 1 }
}

/**
 * Reads a file in chunks of `chunkBytes`, or of its size when smaller. A read stream allocates a whole chunk
 * for each read: a megabyte and a quarter for each of the ten thousand small daily drops of `npm start` made the
 * garbage collector compact the heap for a fifth of the time it took.
 */
export async function readChunks(file: string, chunkBytes: number): Promise<ReadStream> {
  const { size } = await stat(file)
  // one byte more than the file: the whole file in one read, and the next one finds its end
  return createReadStream(file, { highWaterMark: Math.min(size + 1, chunkBytes) })
}

const LINE_CHUNK_BYTES = 256 * 1024

/** Bytes in memory in the pieces a file is read in. */
function* slices(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += LINE_CHUNK_BYTES) yield bytes.subarray(at, at + LINE_CHUNK_BYTES)
}

/**
 * Streams a file as decoded physical lines (LF or CRLF, a UTF-8 BOM removed), in batches. Decoding is strict:
 * a byte sequence that is not valid in the declared encoding throws `UndecodableError`, and so does, at its end,
 * a file declared windows-1252 that is UTF-8 (MisdeclaredUtf8Check).
 */
export async function* readLines(
  /** The file, or its bytes when they were read whole already. */
  source: string | Buffer,
  encoding: Encoding,
): AsyncGenerator<LineBatch> {
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: false })
  let carry = ''
  let oversized: { preview: string; length: number } | undefined
  let lineNumber = 1
  let bytesRead = 0
  const utf8Check = encoding === 'windows-1252' ? new MisdeclaredUtf8Check() : undefined
  const stream = typeof source === 'string' ? await readChunks(source, LINE_CHUNK_BYTES) : slices(source)
  const take = (text: string, final: boolean): LineBatch | undefined => {
    const lines: PhysicalLine[] = []
    const first = lineNumber
    let start = 0
    for (;;) {
      const nl = text.indexOf('\n', start)
      if (nl === -1) break
      const piece = text.slice(start, nl)
      if (oversized) {
        lines.push(new OversizedLine(oversized.preview, oversized.length + piece.length))
        oversized = undefined
        carry = ''
      } else if (carry.length + piece.length > MAX_LINE_CHARS) {
        // the line ends in this chunk but is already too long: not held whole either
        lines.push(
          new OversizedLine(
            (carry.slice(0, PREVIEW_CHARS) + piece.slice(0, PREVIEW_CHARS)).slice(0, PREVIEW_CHARS),
            carry.length + piece.length,
          ),
        )
        carry = ''
      } else {
        const line = carry + piece
        carry = ''
        lines.push(line.endsWith('\r') ? line.slice(0, -1) : line)
      }
      start = nl + 1
    }
    const rest = text.slice(start)
    if (oversized) oversized.length += rest.length
    else if (carry.length + rest.length > MAX_LINE_CHARS) {
      oversized = { preview: (carry + rest).slice(0, PREVIEW_CHARS), length: carry.length + rest.length }
      carry = ''
    } else carry += rest
    if (final) {
      if (oversized) lines.push(new OversizedLine(oversized.preview, oversized.length))
      else if (carry.length > 0) lines.push(carry.endsWith('\r') ? carry.slice(0, -1) : carry)
      carry = ''
      oversized = undefined
    }
    lineNumber += lines.length
    return lines.length > 0 ? { firstLine: first, lines } : undefined
  }
  for await (const chunk of stream) {
    let text: string
    try {
      text = decoder.decode(chunk as Buffer, { stream: true })
    } catch {
      const at = locateInvalid(chunk as Buffer, encoding)
      throw new UndecodableError(encoding, bytesRead + at.bytes, lineNumber + at.newlines)
    }
    utf8Check?.take(chunk as Buffer, bytesRead, lineNumber)
    bytesRead += (chunk as Buffer).length
    const batch = take(text, false)
    if (batch) yield batch
  }
  let tail: string
  try {
    tail = decoder.decode()
  } catch {
    throw new UndecodableError(encoding, bytesRead, lineNumber)
  }
  const misdeclared = utf8Check?.misdeclared()
  if (misdeclared) throw misdeclared
  const batch = take(tail, true)
  if (batch) yield batch
}
