import { readdirSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parquetMetadata } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import type { Column } from '../../functions/core/contracts/columns.ts'
import { surveyResponses } from '../../functions/core/contracts/feeds.ts'
import { ingestDrop } from '../../functions/core/ingest/ingest.ts'
import {
  CREATED_BY,
  METADATA_KEY,
  ParquetSink,
  writeParquetTable,
} from '../../functions/core/parquet/writer.ts'
import { fixedClock } from '../../functions/core/ports.ts'

const SURVEYS = path.resolve(import.meta.dirname, '../fixtures/sample-drops/survey_responses/2026-03-02.csv')

describe('curated Parquet: encodings and codecs per column', () => {
  let root: string
  let file: string
  let dropId: string

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-parquet-writer-'))
    const store = new FsObjectStore(root)
    const { manifest } = await ingestDrop({
      store,
      clock: fixedClock('2026-03-02T06:00:00Z'),
      feed: 'survey_responses',
      file: SURVEYS,
      sourceName: '2026-03-02.csv',
      dropDate: '2026-03-02',
    })
    dropId = manifest.drop_id
    file = path.join(root, 'curated', 'survey_responses', 'dt=2026-03-02', `${manifest.drop_id}.parquet`)
  })

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('stores ids (the key and ids of other records) as shared prefixes under gzip, the rest under Snappy', async () => {
    const bytes = await readFile(file)
    const metadata = parquetMetadata(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    )
    const chunks = new Map(
      (metadata.row_groups[0]?.columns ?? []).map((c) => [
        c.meta_data?.path_in_schema.join('.'),
        c.meta_data,
      ]),
    )
    for (const id of ['response_id', 'incident_id']) {
      expect(chunks.get(id)?.codec, id).toBe('GZIP')
      expect(chunks.get(id)?.encodings, id).toContain('DELTA_BYTE_ARRAY')
    }
    expect(chunks.get('sent_at')?.codec).toBe('SNAPPY')
    expect(chunks.get('sent_at')?.encodings).toContain('DELTA_BINARY_PACKED')
    expect(chunks.get('ethnicity_group')?.codec).toBe('SNAPPY')
    expect(chunks.get('ethnicity_group')?.encodings).not.toContain('DELTA_BYTE_ARRAY')
  })

  it('stores coordinates as plain doubles, never in a dictionary (nearly every value is distinct)', async () => {
    const coordinates = path.join(root, 'coordinates.parquet')
    const sink = new ParquetSink(coordinates, [
      { name: 'lat', kind: 'double', required: false, description: '' },
      { name: 'crime_type', kind: 'string', required: false, description: '' },
    ])
    for (let i = 0; i < 1000; i++)
      sink.append({ lat: 51.5 + i / 1e6, crime_type: i % 2 ? 'Burglary' : 'Drugs' })
    await sink.finish()
    const bytes = await readFile(coordinates)
    const [lat, crimeType] =
      parquetMetadata(
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
      ).row_groups[0]?.columns.map((c) => c.meta_data?.encodings) ?? []
    expect(lat).not.toContain('RLE_DICTIONARY')
    expect(lat).toContain('PLAIN')
    expect(crimeType).toContain('RLE_DICTIONARY')
  })

  it('stops the writer and closes its file when a row of a table cannot be produced', async () => {
    const openFiles = () => readdirSync('/proc/self/fd').length
    const before = openFiles()
    function* rows(): Generator<Record<string, unknown>> {
      yield { lat: 51.5, crime_type: 'Drugs' }
      throw new Error('no such row')
    }
    const columns: Column[] = [
      { name: 'lat', kind: 'double', required: false, description: '' },
      { name: 'crime_type', kind: 'string', required: false, description: '' },
    ]
    await expect(writeParquetTable(path.join(root, 'broken.parquet'), columns, rows())).rejects.toThrow(
      'no such row',
    )
    // the writer's own loop closes the file once it has stopped, a few turns of the event loop later
    for (let turn = 0; turn < 100 && openFiles() > before; turn++) await new Promise((r) => setTimeout(r, 10))
    expect(openFiles()).toBe(before)
  })

  it("records the drop in the file's own metadata, as one entry (the same rows give the same bytes)", async () => {
    const bytes = await readFile(file)
    const metadata = parquetMetadata(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    )
    const own = (metadata.key_value_metadata ?? []).filter((kv) => kv.key !== 'ARROW:schema')
    expect(own.map((kv) => kv.key)).toEqual([METADATA_KEY])
    expect(JSON.parse(own[0]?.value ?? '')).toEqual({
      drop_id: dropId,
      feed: 'survey_responses',
      schema_version: String(surveyResponses.version),
    })
    expect(metadata.created_by).toBe(CREATED_BY)
  })

  it('reads back in DuckDB exactly as delivered', async () => {
    const lake = await DuckDbLake.open(root, { stagingCache: false })
    try {
      const { rows } = await lake.rows(
        `select response_id, incident_id from read_parquet('${file}') order by source_line limit 2`,
      )
      expect(rows).toEqual([
        { response_id: 'SR-02-000', incident_id: 'INC-00011' },
        { response_id: 'SR-02-001', incident_id: 'INC-00017' },
      ])
    } finally {
      lake.close()
    }
  })
})
