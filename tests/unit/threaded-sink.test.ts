import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Column } from '../../functions/core/contracts/columns.ts'
import { curatedColumns, incidents, LINEAGE_COLUMNS } from '../../functions/core/contracts/feeds.ts'
import { ThreadedParquetSink } from '../../functions/core/ingest/threaded-sink.ts'
import {
  arrowSchema,
  CHUNK_ROWS,
  RowChunkBuilder,
  recordBatchOf,
} from '../../functions/core/parquet/row-group.ts'
import {
  MAX_HELD_BYTES,
  ParquetSink,
  ROW_GROUP_ROWS,
  type Value,
} from '../../functions/core/parquet/writer.ts'
import { isLocalFile } from '../../functions/core/ports.ts'
import { TempLake } from './helpers/lake.ts'

/** The ids are gzip-compressed (parquet/writer.ts); hyparquet reads Snappy by itself. */
const GUNZIP = { GZIP: (input: Uint8Array) => gunzipSync(input) }

const COLUMNS = curatedColumns(incidents)
const KV = { feed: 'incidents' }
const UNIQUE = new Set(['incident_id', 'source_line'])
const CRIME_TYPES = ['Burglary', 'Drugs', 'Robbery', 'Shoplifting']

/** Validated-looking incident rows with absent values, text that repeats and text that does not. */
function rowOf(i: number): { row: Record<string, unknown>; lineage: Value[] } {
  return {
    row: {
      incident_id: `INC-${i}`,
      reported_at: 1_700_000_000_000 + i * 60_000,
      occurred_at: i % 9 === 0 ? undefined : 1_699_990_000_000 + i * 60_000,
      crime_type: CRIME_TYPES[i % CRIME_TYPES.length],
      outcome: i % 4 === 0 ? undefined : `outcome ${i % 13} é`,
      domestic: i % 3 === 0 ? undefined : i % 2 === 0,
      lat: 51.5 + (i % 1000) / 100_000,
      lon: -0.1 - (i % 777) / 100_000,
      easting: 530_000 + (i % 500),
      northing: 180_000 + (i % 400),
    },
    lineage: ['incidents-2026-01-01-0123456789abcdef', 20_454, i + 2, 1_767_225_600_000, i % 17 === 0],
  }
}

let work: string
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'hotspot-threaded-sink-'))
})
afterEach(async () => {
  await rm(work, { recursive: true, force: true })
})

async function writeBoth(rows: number): Promise<{ threaded: Buffer; inThread: Buffer }> {
  const threaded = new ThreadedParquetSink(path.join(work, 'threaded.parquet'), COLUMNS, KV, UNIQUE)
  const inThread = new ParquetSink(path.join(work, 'in-thread.parquet'), COLUMNS, KV, UNIQUE)
  for (let i = 0; i < rows; i++) {
    const { row, lineage } = rowOf(i)
    threaded.append(row, lineage)
    inThread.append({ ...row, ...Object.fromEntries(LINEAGE_COLUMNS.map((c, at) => [c.name, lineage[at]])) })
    if (i % 2000 === 0) await threaded.ready()
  }
  const { parquet } = await threaded.finish()
  await inThread.finish()
  return {
    // a drop smaller than a row group is answered in memory, with no file written
    threaded: isLocalFile(parquet) ? await readFile(parquet.file) : Buffer.from(parquet),
    inThread: await readFile(inThread.file),
  }
}

describe('ThreadedParquetSink', () => {
  it('writes, on its worker thread, byte for byte the file ParquetSink writes (full and partial row groups)', async () => {
    const rows = 2 * ROW_GROUP_ROWS + 1234
    const { threaded, inThread } = await writeBoth(rows)
    expect(threaded.equals(inThread)).toBe(true)
    const metadata = parquetMetadata(new Uint8Array(threaded).buffer)
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([ROW_GROUP_ROWS, ROW_GROUP_ROWS, 1234])
    const back = await parquetReadObjects({
      file: new Uint8Array(threaded).buffer,
      rowStart: rows - 2,
      rowEnd: rows,
      compressors: GUNZIP,
    })
    expect(back.map((r) => [r.incident_id, r.source_line, r.domestic])).toEqual(
      [rows - 2, rows - 1].map((i) => [`INC-${i}`, i + 2, rowOf(i).row.domestic ?? null]),
    )
  }, 60_000)

  it('encodes a drop smaller than a row group here, in memory, the same file again', async () => {
    const { threaded, inThread } = await writeBoth(777)
    expect(threaded.equals(inThread)).toBe(true)
    expect(await readdir(work)).toEqual(['in-thread.parquet'])
  })

  it('hands rows of long text to the writer thread once they hold MAX_HELD_BYTES, short of a row group', async () => {
    // rows are handed on a chunk (CHUNK_ROWS) at a time: the first chunk holds 35 MB of this text
    const text = 'a long description'.repeat(400) // 7,200 bytes
    const rows = CHUNK_ROWS + 1_000
    const threaded = new ThreadedParquetSink(path.join(work, 'long.parquet'), COLUMNS, KV, UNIQUE)
    const inThread = new ParquetSink(path.join(work, 'long-in-thread.parquet'), COLUMNS, KV, UNIQUE)
    for (let i = 0; i < rows; i++) {
      const { row, lineage } = rowOf(i)
      const long = { ...row, location_description: `${i} ${text}` }
      threaded.append(long, lineage)
      inThread.append({
        ...long,
        ...Object.fromEntries(LINEAGE_COLUMNS.map((c, at) => [c.name, lineage[at]])),
      })
      if (i % 500 === 0) await threaded.ready()
    }
    const { parquet } = await threaded.finish()
    await inThread.finish()
    expect(CHUNK_ROWS * text.length).toBeGreaterThan(MAX_HELD_BYTES)
    expect(parquet).toEqual({ file: threaded.file })
    expect((await readFile(threaded.file)).equals(await readFile(inThread.file))).toBe(true)
  }, 60_000)

  it('writes an empty file as ParquetSink does', async () => {
    const { threaded, inThread } = await writeBoth(0)
    expect(threaded.equals(inThread)).toBe(true)
  })

  it.each([
    ['on the writer thread', ROW_GROUP_ROWS + 3_000],
    ['here, for a drop smaller than a row group', 900],
  ])(
    'answers the keys that rows repeated, %s',
    async (_, rows) => {
      const sink = new ThreadedParquetSink(path.join(work, 'keys.parquet'), COLUMNS, KV, UNIQUE, [
        'incident_id',
      ])
      const repeated = [rows - 1, 5, 5, 16, 34] // 34 % 17 === 0: a derived key, never a repeat
      for (let i = 0; i < rows + repeated.length; i++) {
        const { row, lineage } = rowOf(i < rows ? i : (repeated[i - rows] as number))
        sink.append(row, lineage)
        if (i % 2000 === 0) await sink.ready()
      }
      expect((await sink.finish()).repeats).toEqual(new Set([`INC-${rows - 1}`, 'INC-5', 'INC-16']))
    },
    60_000,
  )

  it("throws the writer thread's failure to the caller", async () => {
    const sink = new ThreadedParquetSink(path.join(work, 'missing', 'x.parquet'), COLUMNS, KV, UNIQUE)
    const written = (async () => {
      for (let i = 0; i < 3 * ROW_GROUP_ROWS; i++) {
        const { row, lineage } = rowOf(i)
        sink.append(row, lineage)
        if (i % 2000 === 0) await sink.ready()
      }
      await sink.finish()
    })()
    await expect(written).rejects.toThrow(/cannot open .* for the Parquet writer thread: .*ENOENT/)
  }, 60_000)

  // parquet-wasm's stream writer drops a batch it cannot take and closes the file as whole: a failure must
  // reach the caller, never leave a file short of rows
  it.each([
    [
      'on the writer thread, stopping the reading thread at once',
      4 * ROW_GROUP_ROWS,
      2 * ROW_GROUP_ROWS + 10,
    ],
    ['here, for a drop smaller than a row group', 9_000, 7_000],
  ])(
    'throws when the Parquet writer cannot take a chunk, %s',
    async (_, rows, broken) => {
      const sink = new ThreadedParquetSink(path.join(work, 'broken.parquet'), COLUMNS, KV, UNIQUE)
      const written = (async () => {
        for (let i = 0; i < rows; i++) {
          const { row, lineage } = rowOf(i)
          // incident_id is required: a null there is refused by the Arrow batch the writer is given
          sink.append(i === broken ? { ...row, incident_id: null } : row, lineage)
          if (i % 2000 === 0) await sink.ready()
        }
        await sink.finish()
      })()
      await expect(written).rejects.toThrow(/incident_id|null/i)
    },
    60_000,
  )

  it('refuses a value of the wrong type for its column', () => {
    const sink = new ThreadedParquetSink(path.join(work, 'x.parquet'), COLUMNS, KV, UNIQUE)
    const { row, lineage } = rowOf(1)
    expect(() => sink.append({ ...row, lat: '51.5' }, lineage)).toThrow(
      /column lat \(double\) was given a string/,
    )
  })
})

describe('RowChunkBuilder and recordBatchOf', () => {
  const columns: Column[] = [
    { name: 'n', kind: 'int', required: false, description: '' },
    { name: 's', kind: 'string', required: false, description: '' },
    { name: 'b', kind: 'boolean', required: false, description: '' },
    { name: 't', kind: 'timestamp', required: true, description: '' },
    { name: 'x', kind: 'double', required: false, description: '' },
  ]
  const texts = [
    '',
    'plain',
    'café',
    'Łódź – 東京',
    'emoji 🚓 here',
    'x'.repeat(40_000),
    `${'é'.repeat(9_000)}!`,
  ]
  const times = [0, -1, 1_767_225_600_123, 2 ** 52 + 1, -86_400_000 * 365]

  it('carries every value unchanged into an Arrow batch: nulls, empty and non-ASCII text, int64 halves', () => {
    const chunk = new RowChunkBuilder(columns, 64)
    const expected: Record<string, Value>[] = []
    for (let i = 0; i < 40; i++) {
      const row = {
        n: i % 5 === 0 ? null : i * 1_000,
        s: i % 3 === 0 ? null : (texts[i % texts.length] as string),
        b: i % 4 === 0 ? null : i % 2 === 1,
        t: times[i % times.length] as number,
        x: i % 6 === 0 ? null : i / 7,
      }
      expected.push(row)
      chunk.append(row, [])
    }
    const batch = recordBatchOf(columns, arrowSchema(columns), chunk.copy())
    expect(batch.numRows).toBe(40)
    const back = Array.from({ length: 40 }, (_, r) =>
      Object.fromEntries(columns.map((c, i) => [c.name, batch.getChildAt(i)?.get(r) ?? null])),
    )
    // Arrow gives timestamps as numbers of milliseconds
    expect(back).toEqual(expected)
  })

  it('refuses a whole number that a 32-bit int column cannot hold, rather than wrapping it', () => {
    const chunk = new RowChunkBuilder(columns, 4)
    chunk.append({ n: 2 ** 31 - 1, t: 0 }, [])
    expect(recordBatchOf(columns, arrowSchema(columns), chunk.copy()).getChildAt(0)?.get(0)).toBe(2 ** 31 - 1)
    chunk.append({ n: 2 ** 31, t: 0 }, [])
    expect(() => recordBatchOf(columns, arrowSchema(columns), chunk.copy())).toThrow(
      /column n: 2147483648 is not a 32-bit integer/,
    )
  })

  it('hands back a full chunk at capacity and starts again after clear', () => {
    const chunk = new RowChunkBuilder(columns, 3)
    const row = { n: 1, s: 'a', b: true, t: 5, x: 0.5 }
    expect([chunk.append(row, []), chunk.append(row, []), chunk.append(row, [])]).toEqual([
      false,
      false,
      true,
    ])
    chunk.clear()
    expect(chunk.rows).toBe(0)
    chunk.append({ ...row, s: 'bb' }, [])
    const batch = recordBatchOf(columns, arrowSchema(columns), chunk.copy())
    expect(batch.numRows).toBe(1)
    expect(batch.getChildAt(1)?.get(0)).toBe('bb')
  })
})

describe('ingest of a drop larger than a row group (writer thread)', () => {
  it('accounts for every row, settles repeated keys in a second pass, and stores what it accepted', async () => {
    const lake = await TempLake.create()
    try {
      const rows = ROW_GROUP_ROWS + 5_000
      const lines = ['incident_id,reported_at,crime_type,lat,lon,outcome']
      for (let i = 0; i < rows; i++) {
        lines.push(
          `INC-${i},2026-05-01T09:${String(i % 60).padStart(2, '0')}:00Z,Burglary,51.51,-0.09,o${i % 3}`,
        )
      }
      lines.push('INC-7,2026-05-01T09:07:00Z,Burglary,51.51,-0.09,o1') // the same as line 9: a duplicate
      lines.push('INC-8,2026-05-01T09:08:00Z,Robbery,51.51,-0.09,o2') // supersedes line 10
      lines.push('INC-X,not a time,Burglary,51.51,-0.09,o0')
      const { manifest } = await lake.ingest('incidents', '2026-06-01.csv', `${lines.join('\n')}\n`)
      expect(manifest).toMatchObject({
        rows_in: rows + 3,
        rows_accepted: rows,
        rows_duplicate: 1,
        rows_quarantined: 2,
        quarantined_by_code: { superseded: 1, invalid_value: 1 },
        passes: 2,
      })
      const bytes = await readFile(lake.fileOf(manifest.outputs.curated as string))
      const file = new Uint8Array(bytes).buffer
      expect(Number(parquetMetadata(file).num_rows)).toBe(rows)
      const tail = await parquetReadObjects({ file, rowStart: rows - 2, rowEnd: rows, compressors: GUNZIP })
      // the rows of repeated keys are written last: a duplicate keeps its first row, a superseded key its last
      expect(tail.map((r) => [r.incident_id, r.crime_type, r.source_line])).toEqual([
        ['INC-7', 'Burglary', 9],
        ['INC-8', 'Robbery', rows + 3],
      ])
    } finally {
      await lake.close()
    }
  }, 120_000)
})

/*
 * A full disk, for real: every write to /dev/full fails with ENOSPC (a tiny tmpfs needs root). The sink's file is
 * a symbolic link to it, so the sink opens it as it opens any file and its first write fails.
 */
describe('a full disk under the Parquet writers', () => {
  // (a drop smaller than a row group writes no file here: its bytes go to the lake, whose full disk the ingest
  // reports, tests/e2e/cli-failures.test.ts)
  it.each([['on the writer thread', 3 * ROW_GROUP_ROWS]])(
    'fails with ENOSPC, the file named, %s',
    async (_, rows) => {
      const file = path.join(work, 'full.parquet')
      await symlink('/dev/full', file)
      const sink = new ThreadedParquetSink(file, COLUMNS, KV, UNIQUE)
      const written = (async () => {
        for (let i = 0; i < rows; i++) {
          const { row, lineage } = rowOf(i)
          sink.append(row, lineage)
          if (i % 2000 === 0) await sink.ready()
        }
        await sink.finish()
      })()
      await expect(written).rejects.toThrow(/full\.parquet: ENOSPC/)
      // the system's code goes with it, so that the ingest names the drop that failed
      await expect(written).rejects.toMatchObject({ code: 'ENOSPC' })
    },
    60_000,
  )
})
