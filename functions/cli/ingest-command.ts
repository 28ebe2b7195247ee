import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { contractFor } from '../core/contracts/feeds.ts'
import { inferDropDate } from '../core/ingest/drop-date.ts'
import type { FormatName } from '../core/ingest/formats.ts'
import { type IngestManifest, type IngestResult, ingestDrop } from '../core/ingest/ingest.ts'
import type { Encoding } from '../core/ingest/lines.ts'
import { type Clock, systemClock } from '../core/ports.ts'

export interface IngestCommandOptions {
  lake: string
  feed: string
  format?: FormatName
  dropDate?: string
  encoding?: Encoding
  clock?: Clock
  /** Progress lines (e.g. process.stderr on a TTY); none when undefined. */
  progress?: NodeJS.WriteStream
}

export interface IngestCommandResult {
  results: { file: string; result: IngestResult }[]
  failures: { file: string; message: string }[]
}

/** Files named by the paths: a folder means every file in it (not hidden), in name order. */
export function expandPaths(paths: string[]): string[] {
  const files: string[] = []
  for (const p of paths) {
    const stat = statSync(p, { throwIfNoEntry: false })
    if (!stat) throw new Error(`no such file or folder: ${p}`)
    if (stat.isDirectory()) {
      const names = readdirSync(p, { withFileTypes: true })
        .filter((e) => e.isFile() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort()
      files.push(...names.map((name) => path.join(p, name)))
    } else files.push(p)
  }
  return files
}

/** Drops ingested at once: each waits on the disk about half its time, so a few in flight keep a core busy. */
const CONCURRENT_DROPS = 4

/**
 * Ingests each file as its own drop, several at once. Files with the same drop date go one after another in
 * name order, because the order they are ingested in decides which is the later version of a record. A rejected
 * file is reported and the others still run; results come back in file order.
 */
export async function runIngestCommand(
  paths: string[],
  options: IngestCommandOptions,
): Promise<IngestCommandResult> {
  const feed = contractFor(options.feed).feed
  const store = new FsObjectStore(options.lake)
  const files = expandPaths(paths)
  const outcomes: ({ result: IngestResult } | { message: string })[] = []
  const byDropDate = new Map<string, number[]>()
  files.forEach((file, index) => {
    let dropDate: string
    try {
      dropDate = inferDropDate(file, options.dropDate)
    } catch (error) {
      outcomes[index] = { message: (error as Error).message }
      return
    }
    byDropDate.set(dropDate, [...(byDropDate.get(dropDate) ?? []), index])
  })
  let done = 0
  const ingestOne = async (index: number, dropDate: string) => {
    const file = files[index] as string
    try {
      const result = await ingestDrop({
        store,
        clock: options.clock ?? systemClock,
        feed,
        file,
        sourceName: file,
        dropDate,
        format: options.format,
        encoding: options.encoding,
      })
      outcomes[index] = { result }
    } catch (error) {
      if (!(error instanceof Error)) throw error
      outcomes[index] = { message: error.message }
    }
    options.progress?.write(`\r${feed}: ${++done}/${files.length} drops${done === files.length ? '\n' : ''}`)
  }
  const queue = [...byDropDate.entries()]
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [dropDate, indexes] = next
      for (const index of indexes) await ingestOne(index, dropDate)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENT_DROPS }, worker))
  const outcome: IngestCommandResult = { results: [], failures: [] }
  outcomes.forEach((o, index) => {
    const file = files[index] as string
    if ('result' in o) outcome.results.push({ file, result: o.result })
    else outcome.failures.push({ file, message: o.message })
  })
  return outcome
}

export function describeManifest(m: IngestManifest, outcome: IngestResult['outcome']): string {
  const counts = `${m.rows_in} in, ${m.rows_accepted} accepted, ${m.rows_quarantined} quarantined, ${m.rows_duplicate} duplicate`
  return `${m.drop_id}  ${counts}${outcome === 'already-ingested' ? '  (already ingested)' : ''}`
}
