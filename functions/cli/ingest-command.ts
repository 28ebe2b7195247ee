import { lstatSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { contractFor } from '../core/contracts/feeds.ts'
import { columnarScan } from '../core/ingest/columnar.ts'
import { inferDropDate } from '../core/ingest/drop-date.ts'
import type { FormatName } from '../core/ingest/formats.ts'
import {
  type IngestManifest,
  type IngestResult,
  ingestDrop,
  PseudonymKeyMissingError,
} from '../core/ingest/ingest.ts'
import type { Encoding } from '../core/ingest/lines.ts'
import { type Clock, systemClock } from '../core/ports.ts'
import { type IngestSettings, PSEUDONYM_KEY_SETTINGS } from './config.ts'

export interface IngestCommandOptions {
  lake: string
  feed: string
  format?: FormatName
  dropDate?: string
  encoding?: Encoding
  clock?: Clock
  /** The key and limits from the environment (config.ts); default: no key, the default accuracy limit. */
  settings?: IngestSettings
  /** Progress lines (e.g. process.stderr on a TTY); none when undefined. */
  progress?: NodeJS.WriteStream
}

export interface IngestCommandResult {
  results: { file: string; result: IngestResult }[]
  failures: { file: string; message: string }[]
}

/** A file named by the command's paths: a drop to ingest, or (`problem`) why it is not one. */
interface ListedFile {
  file: string
  problem?: string
}

/**
 * The files named by the paths (DESIGN section 4): a folder means every regular file in it, symlinks to regular
 * files included, in name order. Anything else (a missing path, a dangling link, a sub-folder or a link to one, a
 * FIFO, socket or device, an entry that cannot be examined) is listed with its problem, so that it is reported,
 * never skipped silently. Hidden files (`.DS_Store`, editors' lock files) are not drops and are left out.
 */
function expandPaths(paths: string[]): ListedFile[] {
  const files: ListedFile[] = []
  for (const p of paths) {
    const found = examine(p)
    if (found.kind === 'folder') files.push(...folderEntries(p))
    else files.push(listed(p, found))
  }
  return files
}

function folderEntries(folder: string): ListedFile[] {
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch (error) {
    return [listed(folder, { kind: 'refused', why: `cannot be listed: ${(error as Error).message}` })]
  }
  return names
    .filter((name) => !name.startsWith('.'))
    .sort()
    .map((name) => {
      const file = path.join(folder, name)
      const found = examine(file)
      return listed(
        file,
        found.kind === 'folder'
          ? { kind: 'refused', why: 'a folder (folders inside a folder are not searched)' }
          : found,
      )
    })
}

type Found = { kind: 'file' } | { kind: 'folder' } | { kind: 'refused'; why: string }

/** What a path is, symlinks followed. */
function examine(file: string): Found {
  try {
    const stat = statSync(file, { throwIfNoEntry: false })
    if (stat?.isFile()) return { kind: 'file' }
    if (stat?.isDirectory()) return { kind: 'folder' }
    if (stat) return { kind: 'refused', why: 'not a regular file (a FIFO, socket or device)' }
    const link = lstatSync(file, { throwIfNoEntry: false })
    return { kind: 'refused', why: link ? 'a symbolic link to nothing' : 'no such file or folder' }
  } catch (error) {
    return { kind: 'refused', why: `cannot be examined: ${(error as Error).message}` }
  }
}

function listed(file: string, found: Found): ListedFile {
  return found.kind === 'refused' ? { file, problem: `${shown(file)}: not ingested: ${found.why}` } : { file }
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
  const outcomes: ({ result: IngestResult } | { message: string })[] = []
  const byDropDate = new Map<string, number[]>()
  let queued = 0
  const listed = expandPaths(paths)
  const files = listed.map((entry) => entry.file)
  listed.forEach(({ file, problem }, index) => {
    if (problem !== undefined) {
      outcomes[index] = { message: problem }
      return
    }
    let dropDate: string
    try {
      dropDate = inferDropDate(file, options.dropDate)
    } catch (error) {
      outcomes[index] = { message: (error as Error).message }
      return
    }
    byDropDate.set(dropDate, [...(byDropDate.get(dropDate) ?? []), index])
    queued++
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
        pseudonymKey: options.settings?.pseudonymKey,
        accuracyLimitM: options.settings?.accuracyLimitM,
        columnar: columnarScan,
      })
      outcomes[index] = { result }
    } catch (error) {
      if (!(error instanceof Error)) throw error
      outcomes[index] = {
        message:
          error instanceof PseudonymKeyMissingError
            ? `${error.message} (set ${PSEUDONYM_KEY_SETTINGS})`
            : error.message,
      }
    }
    options.progress?.write(`\r${feed}: ${++done}/${queued} drops${done === queued ? '\n' : ''}`)
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
    else outcome.failures.push({ file, message: o.message.replaceAll(file, shown(file)) })
  })
  return outcome
}

/**
 * A file name as a failure shows it: quoted and escaped when it holds a line break or another control
 * character, which would otherwise cut the one-line reason short or forge lines of its own on stderr.
 */
function shown(file: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
  return /[\u0000-\u001f\u007f]/.test(file) ? JSON.stringify(file) : file
}

export function describeManifest(m: IngestManifest, outcome: IngestResult['outcome']): string {
  const counts = `${m.rows_in} in, ${m.rows_accepted} accepted, ${m.rows_quarantined} quarantined, ${m.rows_duplicate} duplicate`
  return `${m.drop_id}  ${counts}${outcome === 'already-ingested' ? '  (already ingested)' : ''}`
}
