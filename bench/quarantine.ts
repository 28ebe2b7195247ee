/**
 * `npm run bench:quarantine`: how large a garbage drop's quarantine grows, per kind of garbage, uncapped and
 * under QUARANTINE_MAX_BYTES, and what that means for a 450 MB drop in the ingest Lambda's 4 GiB /tmp (which
 * also holds the staged drop). Figures go to bench/results/quarantine.json.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { ingestDrop } from '../functions/core/ingest/ingest.ts'
import { QUARANTINE_MAX_BYTES } from '../functions/core/ingest/quarantine-writer.ts'
import { fixedClock } from '../functions/core/ports.ts'
import { makeWorkFolder, removeWorkFolder } from '../functions/core/work-folder.ts'

const LINES = Number(process.env.BENCH_LINES ?? 20_000)
const DROP_MB = 450
const TMP_MB = 4096
const here = path.dirname(fileURLToPath(import.meta.url))
const HEADER = 'incident_id,reported_at,crime_type,lat,lon,location_description'
const lines = (line: (i: number) => string) =>
  Array.from({ length: LINES }, (_, i) => `${line(i)}\n`).join('')

/** Kinds of garbage, each a whole drop: the name, its file name and its bytes. */
const GARBAGE: { kind: string; name: string; content: string }[] = [
  { kind: 'short lines (one field)', name: 'short.csv', content: `${HEADER}\n${lines((i) => `x${i}`)}` },
  {
    kind: '60 printable characters a line, no quotes',
    name: 'printable.csv',
    content: `${HEADER}\n${lines((i) =>
      Array.from({ length: 60 }, (_, j) => String.fromCharCode(35 + ((i * 7 + j * 13) % 90))).join(''),
    )}`,
  },
  {
    kind: 'control characters (JSON escapes each as 6 bytes)',
    name: 'control.csv',
    content: `${HEADER}\n${lines(() => '\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c')}`,
  },
  {
    kind: 'right width, every value invalid (a reason per column)',
    name: 'invalid-values.csv',
    content: `${HEADER}\n${lines((i) => `I${i},notadate,Nope,999,999,x`)}`,
  },
  {
    kind: 'JSON Lines that are not JSON',
    name: 'broken.jsonl',
    content: lines((i) => `{"incident_id": ${i}`),
  },
]

async function quarantineBytes(dir: string, file: string, name: string, maxBytes: number) {
  const store = new FsObjectStore(path.join(dir, `lake-${maxBytes}-${name}`))
  const { manifest } = await ingestDrop({
    store,
    clock: fixedClock('2026-06-01T12:00:00Z'),
    feed: 'incidents',
    file,
    sourceName: `landing/incidents/2026-06-01/${name}`,
    dropDate: '2026-06-01',
    quarantineMaxBytes: maxBytes,
  })
  const key = manifest.outputs.quarantine as string
  return {
    bytes: statSync(path.join(store.location, ...key.split('/'))).size,
    rows: manifest.rows_quarantined,
    truncated: manifest.quarantine_truncated,
  }
}

const dir = await makeWorkFolder('bench')
try {
  const kinds = []
  for (const { kind, name, content } of GARBAGE) {
    const file = path.join(dir, name)
    writeFileSync(file, content)
    const input = statSync(file).size
    const uncapped = await quarantineBytes(dir, file, name, Number.POSITIVE_INFINITY)
    const ratio = uncapped.bytes / input
    // a tenth of the drop under the cap, so that the capped run reaches it
    const capped = await quarantineBytes(dir, file, name, Math.floor(input / 10))
    kinds.push({
      kind,
      input_bytes: input,
      rows_quarantined: uncapped.rows,
      quarantine_bytes: uncapped.bytes,
      ratio: Number(ratio.toFixed(1)),
      bytes_per_record: Math.round(uncapped.bytes / uncapped.rows),
      drop_450_mb_quarantine_mb: Math.round(DROP_MB * ratio),
      drop_450_mb_fits_tmp_uncapped: DROP_MB + DROP_MB * ratio <= TMP_MB,
      capped_at_a_tenth: { bytes: capped.bytes, rows_quarantined: capped.rows, truncated: capped.truncated },
    })
    console.log(
      `${kind.padEnd(58)} ${String(input).padStart(9)} B in, ${String(uncapped.bytes).padStart(10)} B quarantined: ` +
        `${ratio.toFixed(1).padStart(5)}x, ${Math.round(uncapped.bytes / uncapped.rows)} B/record; 450 MB -> ${Math.round(DROP_MB * ratio)} MB`,
    )
  }
  const result = {
    benchmark: 'quarantine',
    command: 'npm run bench:quarantine',
    date: new Date().toISOString(),
    lines_per_drop: LINES,
    quarantine_max_bytes: QUARANTINE_MAX_BYTES,
    lambda_tmp_mb: TMP_MB,
    kinds,
  }
  mkdirSync(path.join(here, 'results'), { recursive: true })
  writeFileSync(path.join(here, 'results', 'quarantine.json'), `${JSON.stringify(result, null, 2)}\n`)
} finally {
  await removeWorkFolder(dir)
}
