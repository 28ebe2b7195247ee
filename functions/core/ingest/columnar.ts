import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { finished } from 'node:stream/promises'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { columnsOf } from '../contracts/columns.ts'
import { curatedColumns, type FeedContract } from '../contracts/feeds.ts'
import { METADATA_KEY, metadataValue } from '../parquet/writer.ts'
import { isLocalFile } from '../ports.ts'
import { parseDate } from '../time/days.ts'
import { londonMidnight } from '../time/london.ts'
import {
  cellSql,
  columnarContract,
  loadGridCells,
  placeSql,
  registerGridOf,
  screenSql,
  unplacedSql,
} from './columnar-sql.ts'
import { detectFormat } from './formats.ts'
import { type GridFit, gridFitOver } from './grid-fit.ts'
import type { Pseudonymiser } from './pseudonym.ts'
import { QuarantineWriter } from './quarantine-writer.ts'
import {
  contentOf,
  type QuarantineRecord,
  type ScanInput,
  type ScanOutput,
  type ScanResult,
  scanDrop,
  supersededReason,
} from './scan.ts'

/**
 * Rows the screen hands to the row path, and rows of repeated keys settled here, at most: past them the drop
 * is not a clean numeric feed's, and the row path takes it whole (the work done so far is lost, nothing else).
 */
const ROW_PATH_ROWS_LIMIT = 50_000
const REPEATED_ROWS_LIMIT = 200_000

/**
 * A drop smaller than this is left to the row path, which reads it in less time than DuckDB takes to start and
 * settle it (about 0.3 s): some 40,000 pings.
 */
export const COLUMNAR_MIN_BYTES = 4 * 1024 * 1024

/** DuckDB's work (grouping keys, writing Parquet) spills to the work folder past this: the ingest stays under 1 GB. */
const DUCKDB_MEMORY_LIMIT = '500MB'

/**
 * The columnar ingest of a simple CSV drop: DuckDB reads the lines, checks and types every field by the
 * contract's column rules (columnar-sql.ts) and writes the curated Parquet; the pseudonyms are the row path's
 * own code, run once per distinct id, and the grid positions the row path's projection (proj4), through a
 * polynomial fit of it checked against it for each drop (grid-fit.ts) or called row by row where the fit cannot
 * settle the metre. Rows the screen does not pass, and rows outside Great Britain (usually none), go through the
 * row path itself (scanDrop) for their reason or their values, so every quarantine reason is the row path's. Keys repeated within the drop are settled as the row path settles them.
 *
 * Undefined for a drop under `minBytes`, and when the drop is not one it can prove it reads as the row path
 * does (a quote character anywhere,
 * CR line ends, a byte-order mark, a header other than the contract's own columns, another format or encoding,
 * too many rows to hand on): the caller then runs the row path.
 */
export async function columnarScan(
  input: ScanInput,
  work: string,
  { minBytes = COLUMNAR_MIN_BYTES }: { minBytes?: number } = {},
): Promise<ScanResult | undefined> {
  const { contract } = input
  if ((input.contents?.length ?? (await stat(input.file)).size) < minBytes) return undefined
  if (!columnarContract(contract) || contract.key.some((k) => !keyColumnRequired(contract, k)))
    return undefined
  if ((input.format ?? 'csv') !== 'csv' || input.encoding !== 'utf-8') return undefined
  const header = await plainHeader(input.file, contract)
  if (!header) return undefined
  const folder = path.join(work, 'columnar')
  await mkdir(folder, { recursive: true })
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: DUCKDB_MEMORY_LIMIT,
    temp_directory: path.join(folder, 'spill'),
  })
  const connection = await instance.connect()
  let scan: ScanResult | undefined
  try {
    scan = await new ColumnarScan(input, folder, connection, header).run()
  } catch {
    // DuckDB could not read the drop as a plain CSV (invalid UTF-8, a line over 2 MB), or writing failed: the
    // row path reads the drop, and says why when the drop itself is at fault
    scan = undefined
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
  if (!scan) await rm(folder, { recursive: true, force: true })
  return scan
}

function keyColumnRequired(contract: FeedContract, key: string): boolean {
  return columnsOf(contract.schema).some((c) => c.name === key && c.required)
}

/** The header line when it names contract columns only, each once, every required one, in plain text. */
async function plainHeader(file: string, contract: FeedContract): Promise<string[] | undefined> {
  const handle = await open(file)
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(65_536), 0, 65_536, 0)
    const end = buffer.subarray(0, bytesRead).indexOf(10)
    if (end <= 0) return undefined
    const names = buffer.subarray(0, end).toString('latin1').split(',')
    const columns = columnsOf(contract.schema)
    const known = new Set(columns.map((c) => c.name))
    if (names.some((n) => !known.has(n)) || new Set(names).size !== names.length) return undefined
    if (columns.some((c) => c.required && !names.includes(c.name))) return undefined
    if (detectFormat(names) !== 'csv') return undefined
    if (contract.location === 'required') {
      if (!names.includes('lat') || !names.includes('lon')) return undefined
      if (names.includes('easting') || names.includes('northing')) return undefined
    }
    return names
  } finally {
    await handle.close()
  }
}

/** A quarantine record and the line whose reading produced it. */
interface Emitted {
  at: number
  record: QuarantineRecord
}

interface Held {
  line: number
  content: string
  original: Record<string, unknown>
}

class ColumnarScan {
  private readonly contract: FeedContract
  /** The accepted rows' lat/lon box, once known. */
  private box: { south: number; north: number; west: number; east: number } | undefined

  constructor(
    private readonly input: ScanInput,
    private readonly folder: string,
    private readonly db: DuckDBConnection,
    private readonly header: string[],
  ) {
    this.contract = input.contract
  }

  async run(): Promise<ScanResult | undefined> {
    const { input, db } = this
    registerGridOf(db)
    const dropDay = parseDate(input.dropDate) as number
    // each line whole, as one column (a unit separator stays in its line's text; a blank line is null)
    const source = `select text from read_csv(${literal(input.file)}, columns = {'text': 'varchar'},
      header = false, delim = '\\x1f', quote = '', escape = '', auto_detect = false, new_line = '\\n')`
    const screen = screenSql(
      this.contract,
      {
        header: this.header,
        notAfterMs: input.notAfterMs,
        beforeMs: this.contract.notAfterDropDate ? londonMidnight(dropDay + 1).getTime() : undefined,
        accuracyLimitM: input.accuracyLimitM,
      },
      source,
    )
    // screened once, into a Parquet file in the drop's order (COPY keeps it), where a row's number is its line
    // less one: in parallel, where a table of DuckDB's own (its rowid the line) is written on one thread
    const screened = literal(path.join(this.folder, 'screened.parquet'))
    await db.run(`copy (${screen.select}) to ${screened} (format parquet)`)
    await db.run(
      `create view screened_lines as select file_row_number + 1 as line, * exclude (file_row_number)
       from read_parquet(${screened}, file_row_number = true)`,
    )
    const first = await this.rows(`select text from screened_lines where line = 1`)
    if (first[0]?.[0] !== this.header.join(',')) return undefined
    await db.run(
      `create view screened as select line::integer as line, * exclude (line) from screened_lines where line > 1`,
    )
    const [counts] = await this.rows(
      `select count(*), count(*) filter (strpos(text, '"') > 0) from screened where not ok`,
    )
    const [refused, quoted] = (counts as bigint[]).map(Number) as [number, number]
    // a quoted field may span lines, which are then not records of their own
    if (refused > ROW_PATH_ROWS_LIMIT || quoted > 0) return undefined
    const unplaced = this.contract.location === 'required' ? await this.place() : 0
    const rowPathLines = refused + unplaced
    if (rowPathLines > ROW_PATH_ROWS_LIMIT) return undefined
    const pseudonyms = await this.pseudonymise()
    const placed = unplaced > 0 ? ' and line not in (select line from unplaced)' : ''
    await db.run(`create view accepted as select * from screened where ok${placed}`)
    await db.run(`create view keyed as ${this.keyedSql(screen.columns, pseudonyms)}`)
    const settled = await this.settleRepeats()
    if (!settled) return undefined
    const rowPath = rowPathLines > 0 ? await this.rowPathScan(unplaced > 0) : undefined
    if (rowPath === null) return undefined
    // DuckDB reads the row path's rows from a file
    const rowPathParquet = rowPath?.accepted
      ? await onDisk(rowPath.curated, path.join(this.folder, 'row-path.parquet'))
      : undefined
    if (rowPathParquet && (await this.keysMeet(rowPathParquet))) return undefined
    const parquetFile = path.join(this.folder, 'curated.parquet')
    await this.writeCurated(parquetFile, rowPathParquet, settled.repeated)
    const fastRows = Number((await this.rows(`select count(*) from accepted`))[0]?.[0])
    const { writer: quarantine, output } = await this.writeQuarantine(settled.superseded, rowPath?.quarantine)
    return {
      pass: settled.repeated ? 2 : 1,
      format: 'csv',
      rowsIn: fastRows + (rowPath?.rowsIn ?? 0),
      accepted: fastRows - settled.dropped + (rowPath?.accepted ?? 0),
      duplicate: settled.duplicate + (rowPath?.duplicate ?? 0),
      quarantined: quarantine.count,
      byCode: quarantine.byCode,
      quarantineTruncated: quarantine.truncated,
      repeats: new Set(),
      curated: { file: parquetFile },
      quarantine: output,
    }
  }

  private async rows(sql: string): Promise<unknown[][]> {
    return (await this.db.runAndReadAll(sql)).getRows() as unknown[][]
  }

  /**
   * Each pseudonymised column's pseudonyms, one HMAC per distinct value (pseudonym.ts), as SQL that reads a
   * value's pseudonym by its place in an ENUM of the values: a lookup that keeps the rows' order, where a join
   * would not (and the file would then need sorting, which costs more than all the rest of the writing).
   */
  private async pseudonymise(): Promise<Map<string, string>> {
    const lookups = new Map<string, string>()
    const pseudonymiser = this.input.pseudonymiser
    const columns = Object.keys(this.contract.pseudonymised ?? {})
    if (columns.length > 0 && !pseudonymiser) {
      throw new Error(`${this.contract.feed} drops are pseudonymised: the scan needs a pseudonymiser`)
    }
    for (const [i, column] of columns.entries()) {
      const values = (
        await this.rows(
          `select distinct ${quoted(column)} from screened where ok and ${quoted(column)} is not null`,
        )
      ).map(([raw]) => raw as string)
      if (values.length === 0) {
        lookups.set(column, 'null::varchar')
        continue
      }
      await this.db.run(`create type raw_${i} as enum (${values.map(literal).join(', ')})`)
      const pseudonyms = values.map((raw) => literal((pseudonymiser as Pseudonymiser).pseudonym(column, raw)))
      lookups.set(column, `[${pseudonyms.join(', ')}][enum_code(s.${quoted(column)}::raw_${i}) + 1]`)
    }
    return lookups
  }

  /**
   * The table `unplaced` of the lines of rows the screen passed whose location is not in Great Britain (for the
   * row path to refuse): their count. Also the box of the rows' lat/lon (the fit's, when every row is placed).
   */
  private async place(): Promise<number> {
    const { cellLat, cellLon } = cellSql('lat', 'lon')
    const cells = (await this.rows(
      `select ${cellLat}, ${cellLon}, min(lat), max(lat), min(lon), max(lon)
       from screened where ok group by all`,
    )) as [number, number, number, number, number, number][]
    const unsettled = await loadGridCells(
      this.db,
      cells.map(([i, j]) => [i, j]),
    )
    // every cell wholly in Great Britain (a force's drop, as a rule): no row to ask
    let unplaced = 0
    if (unsettled > 0) {
      await this.db.run(
        `create table unplaced as ${unplacedSql('select line, lat, lon from screened where ok')}`,
      )
      unplaced = Number((await this.rows('select count(*) from unplaced'))[0]?.[0])
    }
    if (unplaced === 0 && cells.length > 0) {
      // a loop, not Math.min(...): a drop spread over a county holds more cells than a call takes arguments
      const box = { south: Infinity, north: -Infinity, west: Infinity, east: -Infinity }
      for (const [, , south, north, west, east] of cells) {
        box.south = Math.min(box.south, south)
        box.north = Math.max(box.north, north)
        box.west = Math.min(box.west, west)
        box.east = Math.max(box.east, east)
      }
      this.box = box
    }
    return unplaced
  }

  /** The fit of proj4 (grid-fit.ts) over the accepted rows' box, when there is one. */
  private async fit(): Promise<GridFit | undefined> {
    if (!this.box) {
      const [extremes] = await this.rows('select min(lat), max(lat), min(lon), max(lon) from accepted')
      const [south, north, west, east] = extremes as (number | null)[]
      if (south == null || north == null || west == null || east == null) return undefined
      this.box = { south, north, west, east }
    }
    return gridFitOver(this.box)
  }

  /**
   * The rows the columnar path accepts (the view `accepted`), in the lines' order, their pseudonymised columns
   * replaced (their grid positions are placeSql's, when the curated file is written).
   */
  private keyedSql(columns: string[], pseudonyms: Map<string, string>): string {
    const outputs = [...columns, this.contract.accuracyFlag?.flag].filter((c) => c !== undefined)
    const select = outputs.map((c) => {
      const lookup = pseudonyms.get(c)
      return lookup === undefined ? `s.${quoted(c)}` : `${lookup} as ${quoted(c)}`
    })
    return `select s.line, ${select.join(', ')} from accepted s`
  }

  /**
   * Keys the drop repeats, settled as the row path's second pass settles them (scan.ts holdBack): a row whose
   * content is the key's last kept row's is a duplicate; a different one supersedes it; each key's last row is
   * written after every other row, in the order the keys first appear.
   */
  private async settleRepeats(): Promise<
    { repeated: boolean; dropped: number; duplicate: number; superseded: Emitted[] } | undefined
  > {
    const key = this.contract.key.map(quoted).join(', ')
    await this.db.run('create table held (line integer, tail integer)')
    await this.db.run('create table dropped (line integer)')
    // grouping one 64-bit hash of the key takes a third less time than grouping the key; no two rows sharing a
    // hash, no two share a key (two sharing one only send the drop to the exact grouping below)
    const [[sharedHashes]] = (await this.rows(
      `select count(*) from (select hash(${key}) as h from accepted group by h having count(*) > 1)`,
    )) as [[unknown]]
    if (Number(sharedHashes) === 0) return { repeated: false, dropped: 0, duplicate: 0, superseded: [] }
    // the ids as the drop gives them, not their pseudonyms: one HMAC is one id (pseudonym.ts), and grouping the
    // pseudonyms would first look each up
    await this.db.run(
      `create table repeated_keys as select ${key}, count(*) as n from accepted group by all having count(*) > 1`,
    )
    const count = Number((await this.rows('select coalesce(sum(n), 0) from repeated_keys'))[0]?.[0])
    if (count === 0) return { repeated: false, dropped: 0, duplicate: 0, superseded: [] }
    if (count > REPEATED_ROWS_LIMIT) return undefined
    await this.db.run(
      `create table repeated as select line, ${key} from accepted semi join repeated_keys using (${key})`,
    )
    const rows = await this.rows(`select line, ${key} from repeated order by line`)
    const texts = await linesOf(this.input.file, new Set(rows.map(([line]) => line as number)))
    const contentColumns = columnsOf(this.contract.schema).map((c) => c.name)
    const held = new Map<string, Held>()
    const dropped: number[] = []
    // in the order of the later rows, which is when the row path writes each
    const superseded: Emitted[] = []
    let duplicate = 0
    for (const [line, ...keyValues] of rows) {
      const fields = (texts.get(line as number) as string).split(',')
      const raw = Object.fromEntries(this.header.map((name, i) => [name, fields[i]]))
      const content = contentOf(contentColumns, raw)
      const heldKey = keyValues.map(String).join('\u0000')
      const previous = held.get(heldKey)
      if (previous?.content === content) {
        duplicate++
        dropped.push(line as number)
        continue
      }
      if (previous) {
        dropped.push(previous.line)
        superseded.push({
          at: line as number,
          record: {
            drop_id: this.input.dropId,
            feed: this.contract.feed,
            file: this.input.sourceName,
            line: previous.line,
            column: this.contract.key.join(','),
            code: 'superseded',
            reason: supersededReason(line as number),
            record: previous.original,
          },
        })
      }
      held.set(heldKey, { line: line as number, content, original: this.originalOf(fields) })
    }
    const tails = await this.db.createAppender('held')
    let tail = 0
    for (const { line } of held.values()) {
      tails.appendInteger(line)
      tails.appendInteger(tail++)
      tails.endRow()
    }
    tails.closeSync()
    const drops = await this.db.createAppender('dropped')
    for (const line of dropped) {
      drops.appendInteger(line)
      drops.endRow()
    }
    drops.closeSync()
    return { repeated: true, dropped: dropped.length, duplicate, superseded }
  }

  /** A kept row as a quarantine record shows it (scan.ts originalOf): its pseudonymised columns as pseudonyms. */
  private originalOf(fields: string[]): Record<string, unknown> {
    const prefixes = this.contract.pseudonymised ?? {}
    const original: Record<string, unknown> = {}
    this.header.forEach((name, i) => {
      const value = fields[i] ?? ''
      original[name] =
        name in prefixes ? (value === '' ? null : this.input.pseudonymiser?.pseudonym(name, value)) : value
    })
    return original
  }

  /**
   * The rows the screen did not pass and those not in Great Britain, through the row path: a file holding just
   * them on their own lines (the others left blank, which the row path skips), so that every reason and line is
   * the row path's. Null when that scan found repeated keys or filled its quarantine (the row path must then take
   * the drop whole).
   */
  private async rowPathScan(someUnplaced: boolean): Promise<ScanResult | null> {
    const file = path.join(this.folder, 'row-path.csv')
    const out = createWriteStream(file)
    out.write(this.header.join(','))
    let at = 1
    // a blank line (null) stays blank there
    const refused = await this.rows(
      'select line, text from screened where not ok and text is not null order by line',
    )
    // the screen keeps the text of the lines it refused only
    const unplaced = someUnplaced
      ? await linesOf(
          this.input.file,
          new Set((await this.rows('select line from unplaced')).map(([line]) => line as number)),
        )
      : new Map<number, string>()
    const rows = [...refused, ...unplaced].sort(([a], [b]) => (a as number) - (b as number))
    for (const [line, text] of rows) {
      const write = `${'\n'.repeat((line as number) - at)}${text as string}`
      at = line as number
      if (!out.write(write)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    }
    out.end('\n')
    await finished(out)
    const work = path.join(this.folder, 'row-path')
    await mkdir(work)
    const scan = await scanDrop(
      { ...this.input, file, contents: undefined, onProgress: undefined },
      work,
      new Set(),
    )
    return scan.repeats.size > 0 || scan.quarantineTruncated ? null : scan
  }

  /** Whether a row the row path accepted shares its key with a row accepted here (left to the row path whole). */
  private async keysMeet(parquetFile: string): Promise<boolean> {
    const timestamps = new Set(
      columnsOf(this.contract.schema)
        .filter((c) => c.kind === 'timestamp')
        .map((c) => c.name),
    )
    const on = this.contract.key
      .map((k) =>
        timestamps.has(k) ? `k.${quoted(k)} = epoch_ms(r.${quoted(k)})` : `k.${quoted(k)} = r.${quoted(k)}`,
      )
      .join(' and ')
    const met = await this.rows(
      `select count(*) from keyed k join read_parquet(${literal(parquetFile)}) r on ${on}`,
    )
    return Number(met[0]?.[0]) > 0
  }

  /** The curated Parquet: the row path's columns and types, row groups and file metadata (parquet/writer.ts). */
  private async writeCurated(
    file: string,
    rowPathParquet: string | undefined,
    repeated: boolean,
  ): Promise<void> {
    const { input } = this
    const columns = curatedColumns(this.contract)
    const lineage: Record<string, string> = {
      drop_id: literal(input.dropId),
      drop_date: `cast(${literal(input.dropDate)} as date)`,
      source_line: 'k.line',
      ingested_at: `${input.ingestedAtMs}`,
      key_derived: 'false',
    }
    const fast = columns.map(({ name, kind }) => {
      const value = lineage[name] ?? `k.${quoted(name)}`
      return `${kind === 'timestamp' ? `epoch_ms(${value})` : value}${cast(kind)} as ${quoted(name)}`
    })
    const rowPath = columns.map(({ name, kind }) => `r.${quoted(name)}${cast(kind)} as ${quoted(name)}`)
    const keyed = await this.placed()
    const kept = `select ${fast.join(', ')}, h.tail from ${keyed} k left join held h on h.line = k.line
      where k.line not in (select line from dropped)`
    const all = rowPathParquet
      ? `${kept} union all select ${rowPath.join(', ')}, null as tail from read_parquet(${literal(rowPathParquet)}) r`
      : kept
    const metadata = metadataValue({
      drop_id: input.dropId,
      feed: this.contract.feed,
      schema_version: String(this.contract.version),
    })
    // as parquet/writer.ts writes: format version 2 (numbers and line numbers as deltas, which is what Athena
    // bills for), the file's metadata as one entry; zstd, as DuckDB compresses every column alike, where that
    // writer keeps gzip for ids and Snappy for the rest; DuckDB's own row groups (122,880 rows), where that
    // writer's ROW_GROUP_ROWS keeps a Lambda's memory small: here a quarter less time for a large drop
    const copy = (select: string) =>
      this.db.run(
        `copy (${select}) to ${literal(file)} (format parquet, parquet_version 'V2', compression zstd,
         kv_metadata {${METADATA_KEY}: ${literal(metadata)}})`,
      )
    if (!rowPathParquet && !repeated) {
      // one table filtered keeps its order (DuckDB's order preservation): no sort, checked all the same
      await copy(`select ${fast.join(', ')} from ${keyed} k`)
      if (await this.inLineOrder(file)) return
    }
    await copy(`select * exclude (tail) from (${all}) order by tail nulls first, source_line`)
  }

  /** The accepted rows (keyed) with their grid positions (placeSql), in keyed's order. */
  private async placed(): Promise<string> {
    if (this.contract.location !== 'required') return 'keyed'
    return `(${placeSql('select * from keyed', await this.fit())})`
  }

  /** Whether a curated file's rows are in the order of their source lines. */
  private async inLineOrder(file: string): Promise<boolean> {
    const [[disorder]] = (await this.rows(
      `select count(*) from (
         select source_line - lag(source_line) over () as step from read_parquet(${literal(file)}))
       where step <= 0`,
    )) as [[unknown]]
    return Number(disorder) === 0
  }

  /**
   * The drop's quarantine: the row path's records and the superseded rows, in the order the row path writes
   * them (by the line that produced each).
   */
  private async writeQuarantine(
    superseded: Emitted[],
    rowPathRecords: ScanOutput | undefined,
  ): Promise<{ writer: QuarantineWriter; output: ScanOutput }> {
    const writer = new QuarantineWriter(
      path.join(this.folder, 'quarantine.jsonl'),
      this.input.quarantineMaxBytes,
    )
    const rowPath: QuarantineRecord[] = []
    if (rowPathRecords) {
      const text = isLocalFile(rowPathRecords)
        ? await readText(rowPathRecords.file)
        : Buffer.from(rowPathRecords).toString('utf8')
      for (const line of text.split('\n')) if (line !== '') rowPath.push(JSON.parse(line))
    }
    let s = 0
    for (const record of rowPath) {
      while (s < superseded.length && (superseded[s] as Emitted).at < record.line) {
        writer.write((superseded[s++] as Emitted).record)
      }
      writer.write(record)
      const draining = writer.drained()
      if (draining) await draining
    }
    while (s < superseded.length) writer.write((superseded[s++] as Emitted).record)
    return { writer, output: await writer.close() }
  }
}

/** The file of a scan's output: its own, or one written here from its bytes. */
async function onDisk(output: ScanOutput, file: string): Promise<string> {
  if (isLocalFile(output)) return output.file
  await writeFile(file, output)
  return file
}

/** The text of some lines of a file (numbered from 1), read through once. */
async function linesOf(file: string, wanted: ReadonlySet<number>): Promise<Map<number, string>> {
  const found = new Map<number, string>()
  let line = 1
  let rest: Buffer = Buffer.alloc(0)
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buffer = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk
    let start = 0
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      if (wanted.has(line)) found.set(line, buffer.toString('utf8', start, end))
      line++
      start = end + 1
    }
    rest = buffer.subarray(start)
  }
  if (rest.length > 0 && wanted.has(line)) found.set(line, rest.toString('utf8'))
  return found
}

async function readText(file: string): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

const SQL_CASTS = {
  string: '::varchar',
  timestamp: '::timestamp_ms',
  date: '::date',
  int: '::integer',
  double: '::double',
  boolean: '::boolean',
} as const

function cast(kind: keyof typeof SQL_CASTS): string {
  return SQL_CASTS[kind]
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`
