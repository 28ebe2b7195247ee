import { createHmac, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { PseudonymKeyMissingError } from '../../functions/core/ingest/ingest.ts'
import { PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'
import { filesUnder, readParquetRows, TempLake } from './helpers/lake.ts'

/** What the ingest must store for a raw id under `key`, worked out here with node:crypto alone. */
function expectedPseudonym(key: Buffer, raw: string): string {
  return `dev-${createHmac('sha256', key).update(raw).digest('hex').slice(0, 20)}`
}

const HEADER = 'device_id,recorded_at,lat,lon,accuracy_m,speed_mps,heading,team'
/** Every raw id of the drop: none may appear anywhere in the lake outside landing/. */
const RAW_IDS = [
  'RADIO-7731',
  'RADIO-7732',
  'RADIO-7733',
  'RADIO-7734',
  'RADIO-7735',
  'RADIO-7736',
  'XXXXXXXX',
]

// 2026-06-01 is in British Summer Time: 23:00 UTC is the next London day
const PINGS = [
  HEADER,
  'RADIO-7731,2026-06-01T08:00:00Z,51.5074,-0.1278,12,1.2,90,A', // 2: accepted
  'RADIO-7731,2026-06-01T08:00:30Z,51.5075,-0.1279,50,1.1,91,A', // 3: accepted, at the limit: not flagged
  'RADIO-7732,2026-06-01T08:00:00Z,51.5080,-0.1280,50.5,,,B', // 4: accepted, flagged
  'RADIO-7732,2026-06-01T08:01:00Z,51.5081,-0.1281,,,,B', // 5: superseded by line 11
  'RADIO-7733,2026-06-01T22:59:00Z,51.5000,-0.1200,5,,,C', // 6: accepted, 23:59 London on the drop date
  'RADIO-7733,2026-06-01T23:00:00Z,51.5000,-0.1200,5,,,C', // 7: quarantined, 00:00 London on the next day
  'RADIO-7734,2026-06-01T09:00:00Z,51.5000,-0.1200,5,,360,C', // 8: quarantined, heading 360
  'RADIO-7731,2026-06-01T08:00:00Z,51.5074,-0.1278,12,1.2,90,A', // 9: duplicate of line 2
  'RADIO-7735,2026-06-01T08:00:00Z,51.5000,-0.1200,5,1,1,C,extra', // 10: wrong field count
  'RADIO-7732,2026-06-01T08:01:00Z,51.5082,-0.1281,,,,B', // 11: accepted, supersedes line 5
  'RADIO-7734,2026-05-31T21:00:00Z,51.5000,-0.1200,5,,359.9,C', // 12: accepted, a day late
  `RADIO-7736${'X'.repeat(200)},2026-06-01T08:00:00Z,51.5000,-0.1200,5,,,C`, // 13: quarantined, id too long
  'RADIO-"7740",2026-06-01T08:00:00Z,51.5000,-0.1200,5,,,C', // 14: malformed quoting
].join('\n')

describe('patrol_pings ingest: pseudonymised device ids, the accuracy flag, the drop-date rule', () => {
  let lake: TempLake
  const material = randomBytes(32)
  const key = new PseudonymKey(material)
  beforeEach(async () => {
    lake = await TempLake.create()
  })
  afterEach(async () => {
    await lake.close()
  })

  it('stores HMAC pseudonyms of the device ids, and no raw id anywhere in the lake outside landing/', async () => {
    const { manifest } = await lake.ingest('patrol_pings', 'pings-2026-06-01.csv', `${PINGS}\n`, {
      pseudonymKey: key,
    })
    expect(manifest).toMatchObject({
      rows_in: 13,
      rows_accepted: 6,
      rows_quarantined: 6,
      rows_duplicate: 1,
      quarantined_by_code: { invalid_value: 3, wrong_field_count: 1, superseded: 1, malformed_csv: 1 },
      pseudonym_key_id: createHmac('sha256', material)
        .update('\u0000hotspot pseudonym key id')
        .digest('hex')
        .slice(0, 16),
      accuracy_limit_m: 50,
    })
    const rows = await readParquetRows(lake.fileOf(manifest.outputs.curated as string))
    expect(rows.map((r) => [r.source_line, r.device_id, r.low_accuracy])).toEqual([
      [2, expectedPseudonym(material, 'RADIO-7731'), false],
      [3, expectedPseudonym(material, 'RADIO-7731'), false],
      [4, expectedPseudonym(material, 'RADIO-7732'), true],
      [6, expectedPseudonym(material, 'RADIO-7733'), false],
      [11, expectedPseudonym(material, 'RADIO-7732'), false],
      [12, expectedPseudonym(material, 'RADIO-7734'), false],
    ])

    // superseded rows are settled at the end of the drop
    const quarantine = (await lake.quarantine(manifest.outputs.quarantine)).sort((a, b) => a.line - b.line)
    expect(quarantine.map((q) => [q.line, q.code, q.column, q.record?.device_id, q.text])).toEqual([
      [5, 'superseded', 'device_id,recorded_at', expectedPseudonym(material, 'RADIO-7732'), undefined],
      [7, 'invalid_value', 'recorded_at', expectedPseudonym(material, 'RADIO-7733'), undefined],
      [8, 'invalid_value', 'heading', expectedPseudonym(material, 'RADIO-7734'), undefined],
      [10, 'wrong_field_count', null, undefined, undefined],
      // a value the column refused has no pseudonym to show
      [13, 'invalid_value', 'device_id', undefined, undefined],
      [14, 'malformed_csv', null, undefined, undefined],
    ])
    expect(quarantine[4]?.record).toMatchObject({ recorded_at: '2026-06-01T08:00:00Z', team: 'C' })
    const reasons = Object.fromEntries(quarantine.map((q) => [q.line, q.reason]))
    expect(reasons[7]).toBe(
      "recorded_at: 2026-06-02 (London) is after the drop date 2026-06-01: a day's drop holds rows of that day " +
        'or earlier: send it in the drop of its own day',
    )
    expect(reasons[8]).toBe('heading: 360 is outside 0..360 (360 excluded)')
    // not the parser's own reason, which quotes the field (`value is "RADIO-"`)
    expect(reasons[14]).toBe('malformed quoting')

    const lakeRoot = path.join(lake.dir, 'lake')
    const files = (await filesUnder(lakeRoot)).filter((f) => !f.startsWith(`landing${path.sep}`))
    expect(files.some((f) => f.startsWith('quarantine'))).toBe(true)
    expect(files.some((f) => f.startsWith('manifests'))).toBe(true)
    expect(files.some((f) => f.startsWith('curated'))).toBe(true)
    for (const file of files) {
      const bytes = await readFile(path.join(lakeRoot, file))
      for (const raw of [...RAW_IDS, 'RADIO-77']) expect(bytes.includes(raw), `${raw} in ${file}`).toBe(false)
    }
    // landing/ holds the drop as delivered (DESIGN section 5), as for every feed: the check above can fail
    const landed = (await filesUnder(lakeRoot)).filter((f) => f.startsWith(`landing${path.sep}`))
    expect((await readFile(path.join(lakeRoot, landed[0] as string))).includes('RADIO-7731')).toBe(true)
  })

  it('gives other pseudonyms under another key, and flags by the limit it is given', async () => {
    const other = randomBytes(32)
    const { manifest } = await lake.ingest('patrol_pings', 'pings-2026-06-01.csv', `${PINGS}\n`, {
      pseudonymKey: new PseudonymKey(other),
      accuracyLimitM: 10,
    })
    expect(manifest.pseudonym_key_id).not.toBe(key.id)
    expect(manifest.accuracy_limit_m).toBe(10)
    const rows = await readParquetRows(lake.fileOf(manifest.outputs.curated as string))
    expect(rows.map((r) => [r.device_id, r.low_accuracy])).toEqual([
      [expectedPseudonym(other, 'RADIO-7731'), true],
      [expectedPseudonym(other, 'RADIO-7731'), true],
      [expectedPseudonym(other, 'RADIO-7732'), true],
      [expectedPseudonym(other, 'RADIO-7733'), false],
      [expectedPseudonym(other, 'RADIO-7732'), false],
      [expectedPseudonym(other, 'RADIO-7734'), false],
    ])
    expect(expectedPseudonym(other, 'RADIO-7731')).not.toBe(expectedPseudonym(material, 'RADIO-7731'))
  })

  it('refuses a drop whole without a key, storing nothing; the command names the setting', async () => {
    await expect(lake.ingest('patrol_pings', 'pings-2026-06-01.csv', `${PINGS}\n`)).rejects.toThrow(
      PseudonymKeyMissingError,
    )
    const file = await lake.writeDrop('pings-2026-06-01.csv', `${PINGS}\n`)
    const lakeDir = path.join(lake.dir, 'lake')
    const { results, failures } = await runIngestCommand([file], { lake: lakeDir, feed: 'patrol_pings' })
    expect(results).toEqual([])
    expect(failures.map((f) => f.message)).toEqual([
      `${file}: not ingested: patrol_pings drops store device_id as keyed pseudonyms, and no pseudonymisation ` +
        'key is configured (set HOTSPOT_PSEUDONYM_KEY or HOTSPOT_PSEUDONYM_KEY_FILE)',
    ])
    expect(await lake.keys()).toEqual([])
    // other feeds need no key
    const visits = await lake.writeDrop(
      'visits-2026-06-01.csv',
      'visit_id,hotspot_id,started_at,ended_at\nV1,HS-01,2026-06-01T08:00:00Z,2026-06-01T08:12:00Z\n',
    )
    const other = await runIngestCommand([visits], { lake: lakeDir, feed: 'patrol_visits' })
    expect(other.failures).toEqual([])
    expect(other.results[0]?.result.manifest).toMatchObject({
      rows_accepted: 1,
      pseudonym_key_id: null,
      accuracy_limit_m: null,
    })
  })

  it("refuses a drop's own low_accuracy: an unknown CSV column, an unknown JSON key (the record pseudonymised)", async () => {
    await expect(
      lake.ingest('patrol_pings', 'pings-2026-06-01.csv', `${HEADER},low_accuracy\n`, { pseudonymKey: key }),
    ).rejects.toThrow(/unknown column\(s\) "low_accuracy"/)
    const { manifest } = await lake.ingest(
      'patrol_pings',
      'pings-2026-06-01.jsonl',
      [
        {
          device_id: 'RADIO-7731',
          recorded_at: '2026-06-01T08:00:00Z',
          lat: 51.5,
          lon: -0.12,
          low_accuracy: false,
        },
        // a raw id under a name the contract does not know is not kept either
        { deviceId: 'RADIO-7737', recorded_at: '2026-06-01T08:00:00Z', lat: 51.5, lon: -0.12 },
        { ' device_id': 'RADIO-7738', recorded_at: '2026-06-01T08:00:00Z', lat: 51.5, lon: -0.12 },
      ]
        .map((row) => `${JSON.stringify(row)}\n`)
        .join(''),
      { pseudonymKey: key },
    )
    const [record, ...strays] = await lake.quarantine(manifest.outputs.quarantine)
    expect(strays.map((s) => [s.code, s.record])).toEqual([
      ['unknown_column', { recorded_at: '2026-06-01T08:00:00Z', lat: 51.5, lon: -0.12 }],
      ['unknown_column', { recorded_at: '2026-06-01T08:00:00Z', lat: 51.5, lon: -0.12 }],
    ])
    const quarantineFile = await readFile(lake.fileOf(manifest.outputs.quarantine as string))
    for (const raw of ['RADIO-7731', 'RADIO-7737', 'RADIO-7738'])
      expect(quarantineFile.includes(raw)).toBe(false)
    expect(record).toMatchObject({
      code: 'unknown_column',
      column: 'low_accuracy',
      reason: '"low_accuracy" is not a column of patrol_pings',
      record: { device_id: expectedPseudonym(material, 'RADIO-7731'), recorded_at: '2026-06-01T08:00:00Z' },
    })
    expect(record?.text).toBeUndefined()
  })
})
