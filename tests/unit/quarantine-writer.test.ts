import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_PING_ACCURACY_LIMIT_M, incidents } from '../../functions/core/contracts/feeds.ts'
import { ingestDrop } from '../../functions/core/ingest/ingest.ts'
import { QUARANTINE_MAX_BYTES, QuarantineWriter } from '../../functions/core/ingest/quarantine-writer.ts'
import { scanDrop } from '../../functions/core/ingest/scan.ts'
import { fixedClock, isLocalFile } from '../../functions/core/ports.ts'
import { quarantineLines, TEST_NOW, TempLake } from './helpers/lake.ts'

const HEADER = 'incident_id,reported_at,crime_type,lat,lon,location_description'
const garbage = (lines: number) =>
  `${HEADER}\n${Array.from({ length: lines }, (_, i) => `x${i}`).join('\n')}\n`

let lake: TempLake
beforeEach(async () => {
  lake = await TempLake.create()
})
afterEach(async () => {
  await lake.close()
})

describe('the quarantine file on a full disk', () => {
  let work: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-test-quarantine-'))
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  // /dev/full fails every write with ENOSPC: the scan's quarantine file is a link to it, written once its
  // records outgrow what is held in memory (20,000 records: about 5 MB)
  it('fails the scan with ENOSPC and the file named, not with an unhandled error event', async () => {
    await symlink('/dev/full', path.join(work, 'pass1.jsonl'))
    const file = await lake.writeDrop('garbage.csv', garbage(20_000))
    const scan = scanDrop(
      {
        contract: incidents,
        file,
        sourceName: 'garbage.csv',
        dropId: 'incidents-2026-06-01-0123456789abcdef',
        dropDate: '2026-06-01',
        ingestedAtMs: Date.parse(TEST_NOW),
        encoding: 'utf-8',
        format: undefined,
        notAfterMs: Date.parse(TEST_NOW) + 86_400_000,
        quarantineMaxBytes: QUARANTINE_MAX_BYTES,
        pseudonymiser: undefined,
        accuracyLimitM: DEFAULT_PING_ACCURACY_LIMIT_M,
      },
      work,
      new Set(),
    )
    await expect(scan).rejects.toThrow(/pass1\.jsonl.*ENOSPC/)
  })
})

describe('the quarantine records of a drop', () => {
  const record = (line: number) => ({
    drop_id: 'incidents-2026-06-01-0123456789abcdef',
    feed: 'incidents' as const,
    file: 'garbage.csv',
    line,
    column: null,
    code: 'wrong_field_count' as const,
    reason: 'x'.repeat(500),
  })

  it('are held in memory while they are few, and written to the file once they pass a megabyte', async () => {
    const few = new QuarantineWriter(path.join(lake.dir, 'few.jsonl'), QUARANTINE_MAX_BYTES)
    for (let line = 2; line < 12; line++) few.write(record(line))
    const held = await few.close()
    expect(isLocalFile(held)).toBe(false)
    expect(quarantineLines(Buffer.from(held as Uint8Array)).map((l) => JSON.parse(l).line)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 2),
    )
    expect(existsSync(few.file)).toBe(false)

    const many = new QuarantineWriter(path.join(lake.dir, 'many.jsonl'), QUARANTINE_MAX_BYTES)
    // about 600 bytes each: 3,000 pass a megabyte
    for (let line = 2; line < 3_002; line++) many.write(record(line))
    const written = await many.close()
    expect(written).toEqual({ file: many.file })
    const lines = quarantineLines(await readFile(many.file))
    expect(lines.map((l) => JSON.parse(l).line)).toEqual(Array.from({ length: 3_000 }, (_, i) => i + 2))
  })
})

describe('the quarantine size cap', () => {
  it('counts every rejected row but stores records only up to the cap, and the manifest says how many it left out', async () => {
    const rows = 2_000
    const maxBytes = 50_000
    const file = await lake.writeDrop('garbage.csv', garbage(rows))
    const { manifest } = await ingestDrop({
      store: lake.store,
      clock: fixedClock(TEST_NOW),
      feed: 'incidents',
      file,
      sourceName: 'garbage.csv',
      dropDate: '2026-06-01',
      quarantineMaxBytes: maxBytes,
    })
    const stored = quarantineLines(await lake.store.getBytes(manifest.outputs.quarantine as string))
    expect(manifest).toMatchObject({ rows_in: rows, rows_quarantined: rows, rows_accepted: 0 })
    expect(manifest.quarantined_by_code).toEqual({ wrong_field_count: rows })
    expect((await stat(lake.fileOf(manifest.outputs.quarantine as string))).size).toBeLessThanOrEqual(
      maxBytes,
    )
    expect(stored.length).toBeGreaterThan(100)
    const lastStored = JSON.parse(stored.at(-1) as string) as { line: number }
    expect(manifest.quarantine_truncated).toEqual({
      max_bytes: maxBytes,
      records_not_stored: rows - stored.length,
      first_line_not_stored: lastStored.line + 1,
    })
  })

  it('says nothing was left out when the quarantine fits', async () => {
    const { manifest } = await lake.ingest('incidents', 'garbage.csv', garbage(10))
    expect(manifest.quarantine_truncated).toBeNull()
  })
})
