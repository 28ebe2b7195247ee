import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { FsObjectStore } from '../../../functions/adapters/fs-object-store.ts'
import type { FeedName } from '../../../functions/core/contracts/feeds.ts'
import {
  type IngestResult,
  ingestDrop,
  type QuarantineRecord,
} from '../../../functions/core/ingest/ingest.ts'
import type { Encoding } from '../../../functions/core/ingest/lines.ts'
import type { PseudonymKey } from '../../../functions/core/ingest/pseudonym.ts'
import { type Clock, fixedClock } from '../../../functions/core/ports.ts'

/** "Now" of every test ingest: timestamps after 2026-06-02T12:00:00Z are in the future. */
export const TEST_NOW = '2026-06-01T12:00:00Z'

/** A lake in a fresh temporary folder, with a scratch folder for drop files. */
export class TempLake {
  private constructor(
    readonly dir: string,
    readonly store: FsObjectStore,
  ) {}

  static async create(): Promise<TempLake> {
    const dir = await mkdtemp(path.join(tmpdir(), 'hotspot-test-lake-'))
    return new TempLake(dir, new FsObjectStore(path.join(dir, 'lake')))
  }

  /** Writes a drop file under the scratch folder and returns its path. */
  async writeDrop(name: string, content: string | Uint8Array): Promise<string> {
    const file = path.join(this.dir, `drop-${Math.random().toString(36).slice(2)}-${name}`)
    await writeFile(file, content)
    return file
  }

  /** Ingests `content` as the drop `name` of `feed`, delivered on `dropDate`. */
  async ingest(
    feed: FeedName,
    name: string,
    content: string | Uint8Array,
    options: {
      dropDate?: string
      encoding?: Encoding
      clock?: Clock
      pseudonymKey?: PseudonymKey
      accuracyLimitM?: number
    } = {},
  ): Promise<IngestResult> {
    const file = await this.writeDrop(path.basename(name), content)
    return ingestDrop({
      store: this.store,
      clock: options.clock ?? fixedClock(TEST_NOW),
      feed,
      file,
      sourceName: name,
      dropDate: options.dropDate ?? '2026-06-01',
      ...(options.encoding ? { encoding: options.encoding } : {}),
      pseudonymKey: options.pseudonymKey,
      accuracyLimitM: options.accuracyLimitM,
    })
  }

  /** Every object key in the lake, sorted. */
  async keys(prefix = ''): Promise<string[]> {
    const keys: string[] = []
    for await (const info of this.store.list(prefix)) keys.push(info.key)
    return keys
  }

  /** The file on disk holding an object of the lake. */
  fileOf(key: string): string {
    return path.join(this.store.location, ...key.split('/'))
  }

  /** Quarantine records of a JSON Lines quarantine object (none when `key` is null). */
  async quarantine(key: string | null): Promise<QuarantineRecord[]> {
    if (key === null) return []
    return quarantineLines(await this.store.getBytes(key)).map((line) => JSON.parse(line) as QuarantineRecord)
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** The non-empty lines of a JSON Lines object (every record ends with LF). */
export function quarantineLines(bytes: Buffer): string[] {
  const text = bytes.toString('utf8')
  return text === '' ? [] : text.replace(/\n$/, '').split('\n')
}

let instance: Promise<DuckDBInstance> | undefined

/**
 * Rows of a curated Parquet file as read back by DuckDB, in file order. Values are JSON-friendly: timestamps
 * and dates as text (`2026-05-01 09:00:00`, `2026-06-01`), big integers as text.
 */
export async function readParquetRows(file: string): Promise<Record<string, unknown>[]> {
  instance ??= DuckDBInstance.create(':memory:')
  const connection = await (await instance).connect()
  try {
    const literal = `'${file.replaceAll("'", "''")}'`
    const reader = await connection.runAndReadAll(
      `select * from read_parquet(${literal}) order by source_line`,
    )
    return reader.getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
  }
}

/** Every file below `dir`, recursively, as paths relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

export async function readBytes(file: string): Promise<Buffer> {
  return readFile(file)
}
