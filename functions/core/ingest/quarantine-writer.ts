import { createWriteStream, type WriteStream } from 'node:fs'
import type { LocalFile } from '../ports.ts'
import type { QuarantineCode, QuarantineRecord } from './scan.ts'

/**
 * A drop's quarantine stops growing here. A record repeats the drop id, the file name, the column names and a
 * reason whatever the row's length, and JSON escapes control characters as 6 bytes: bench/quarantine.ts
 * measures 230 to 750 bytes a record, 5 to 35 times a garbage drop, so a 450 MB one would need 2 to 16 GB of
 * the ingest Lambda's 4 GiB /tmp, which also holds the drop itself. 64 MiB holds every rejected row of a daily
 * drop (~90,000 of the longest records); past it rows are counted, not stored: the drop in landing/ keeps them.
 */
export const QUARANTINE_MAX_BYTES = 64 * 1024 * 1024

/** Rejected rows that were counted but not stored, because the quarantine file reached its cap. */
export interface QuarantineTruncation {
  max_bytes: number
  records_not_stored: number
  /** The source line of the first rejected row left out: every rejected row after it is left out too. */
  first_line_not_stored: number
}

/**
 * Records are kept in memory until they pass this much, and only then written to the file: most daily drops
 * quarantine a row or none, and their records are published from memory without a file of their own.
 */
const HELD_BYTES = 1024 * 1024

/**
 * Writes a drop's quarantine records to a local JSON Lines file, at most `maxBytes` of them; a drop's first
 * megabyte of them is held in memory, and `close` answers it as bytes when no more came. A write that fails
 * (a full disk, a quota) fails the drop: it is thrown from the next `write`, `drained` or `close`, with the
 * file named, never left as an unhandled 'error' event (which ends the process, and every other drop with it).
 */
export class QuarantineWriter {
  private stream: WriteStream | undefined
  private held: string[] = []
  private failure: Error | undefined
  private bytes = 0
  count = 0
  readonly byCode: Partial<Record<QuarantineCode, number>> = {}
  truncated: QuarantineTruncation | null = null

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
  ) {}

  write(record: QuarantineRecord): void {
    if (this.failure) throw this.failure
    this.count++
    this.byCode[record.code] = (this.byCode[record.code] ?? 0) + 1
    if (this.truncated) {
      this.truncated.records_not_stored++
      return
    }
    const line = `${JSON.stringify(record)}\n`
    const size = Buffer.byteLength(line)
    if (this.bytes + size > this.maxBytes) {
      this.truncated = { max_bytes: this.maxBytes, records_not_stored: 1, first_line_not_stored: record.line }
      return
    }
    this.bytes += size
    if (this.stream) this.stream.write(line)
    else {
      this.held.push(line)
      if (this.bytes > HELD_BYTES) this.open().write(this.held.splice(0).join(''))
    }
  }

  /** Undefined unless the stream's buffer is full: then a promise that it has drained (or of its failure). */
  drained(): Promise<void> | undefined {
    if (this.failure) return Promise.reject(this.failure)
    const stream = this.stream
    if (!stream?.writableNeedDrain) return undefined
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        stream.off('error', onError)
        resolve()
      }
      const onError = () => {
        stream.off('drain', onDrain)
        reject(this.failure)
      }
      stream.once('drain', onDrain)
      stream.once('error', onError)
    })
  }

  abort(): void {
    this.stream?.destroy()
    this.held = []
  }

  /** The records: in memory (empty when there were none), or the file once they outgrew it. */
  async close(): Promise<Uint8Array | LocalFile> {
    if (this.failure) throw this.failure
    const stream = this.stream
    if (!stream) return Buffer.from(this.held.splice(0).join(''))
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) =>
        this.failure || error ? reject(this.failure ?? error) : resolve(),
      ),
    )
    return { file: this.file }
  }

  private open(): WriteStream {
    const stream = createWriteStream(this.file)
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.failure ??= Object.assign(new Error(`${this.file}: ${error.message}`, { cause: error }), {
        code: error.code,
      })
    })
    this.stream = stream
    return stream
  }
}
