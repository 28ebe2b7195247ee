import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { contractFor } from '../core/contracts/feeds.ts'
import { inferDropDate } from '../core/ingest/drop-date.ts'
import { FileRejectedError, type FormatName } from '../core/ingest/formats.ts'
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

/** Ingests each file as its own drop. A rejected file is reported and the others still run. */
export async function runIngestCommand(
  paths: string[],
  options: IngestCommandOptions,
): Promise<IngestCommandResult> {
  const feed = contractFor(options.feed).feed
  const store = new FsObjectStore(options.lake)
  const outcome: IngestCommandResult = { results: [], failures: [] }
  const files = expandPaths(paths)
  for (const [index, file] of files.entries()) {
    const label = `[${index + 1}/${files.length}] ${path.basename(file)}`
    try {
      const result = await ingestDrop({
        store,
        clock: options.clock ?? systemClock,
        feed,
        file,
        sourceName: file,
        dropDate: inferDropDate(file, options.dropDate),
        format: options.format,
        encoding: options.encoding,
        onProgress: options.progress
          ? ({ rows }) => options.progress?.write(`\r${label}: ${rows.toLocaleString('en-GB')} rows`)
          : undefined,
      })
      options.progress?.write(`\r${label}: done${' '.repeat(20)}\n`)
      outcome.results.push({ file, result })
    } catch (error) {
      options.progress?.write('\n')
      if (error instanceof FileRejectedError || error instanceof Error) {
        outcome.failures.push({ file, message: error.message })
      } else throw error
    }
  }
  return outcome
}

export function describeManifest(m: IngestManifest, outcome: IngestResult['outcome']): string {
  const counts = `${m.rows_in} in, ${m.rows_accepted} accepted, ${m.rows_quarantined} quarantined, ${m.rows_duplicate} duplicate`
  return `${m.drop_id}  ${counts}${outcome === 'already-ingested' ? '  (already ingested)' : ''}`
}
