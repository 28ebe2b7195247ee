/**
 * `npm start`: the pipeline locally on the bundled sample drops. Everything lands under ./.hotspot/lake.
 * Running it again reuses what is there: drops already ingested are recognised by their content hash.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { describeManifest, runIngestCommand } from '../functions/cli/ingest-command.ts'
import { runQueryCommand } from '../functions/cli/query-command.ts'
import { FEED_NAMES, type FeedName } from '../functions/core/contracts/feeds.ts'
import type { FormatName } from '../functions/core/ingest/formats.ts'
import { loadReference } from '../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../functions/core/reference/weights.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const samples = path.join(here, '..', 'tests', 'fixtures', 'sample-drops')
const lake = path.resolve('.hotspot', 'lake')
const out = process.stdout

async function main(): Promise<void> {
  out.write(`hotspot: sample pipeline into ${lake}\n\nReference data\n`)
  const store = new FsObjectStore(lake)
  for (const [kind, file] of [
    ['weights', DEFAULT_WEIGHTS_FILE],
    ['register', path.join(samples, 'register.geojson')],
    ['recipients', path.join(samples, 'recipients.json')],
  ] as const) {
    const result = await loadReference(store, kind, file)
    out.write(`  ${kind.padEnd(10)} ${result.version}  ${result.outcome}\n`)
  }

  const batches: { feed: FeedName; paths: string[]; format?: FormatName }[] = [
    ...FEED_NAMES.map((feed) => ({ feed, paths: [path.join(samples, feed)] })),
    {
      feed: 'incidents',
      format: 'police-uk-street',
      paths: [path.join(samples, 'police-uk', '2020-01-city-of-london-street.csv')],
    },
    {
      feed: 'stop_searches',
      format: 'police-uk-stop-search',
      paths: [path.join(samples, 'police-uk', '2020-01-city-of-london-stop-and-search.csv')],
    },
  ]
  out.write('\nDrops (rows in = accepted + quarantined + duplicate)\n')
  let failed = 0
  for (const batch of batches) {
    const { results, failures } = await runIngestCommand(batch.paths, {
      lake,
      feed: batch.feed,
      format: batch.format,
    })
    for (const { result } of results) out.write(`  ${describeManifest(result.manifest, result.outcome)}\n`)
    for (const failure of failures) out.write(`  FAILED ${failure.message}\n`)
    failed += failures.length
  }

  out.write('\nCurrent records per feed\n')
  const counts = FEED_NAMES.map((feed) => `select '${feed}' as feed, count(*) as records from ${feed}`).join(
    ' union all ',
  )
  out.write(indent(await runQueryCommand(lake, `${counts} order by feed`, 'table')))
  out.write('\nQuarantined rows, by reason\n')
  out.write(
    indent(
      await runQueryCommand(
        lake,
        'select feed, code, "column", count(*) as rows, any_value(reason) as example from quarantine group by all order by feed, code',
        'table',
      ),
    ),
  )
  out.write(
    [
      '',
      `Lake: ${lake}`,
      '  curated/     validated rows (Parquet), one file per drop',
      '  quarantine/  rejected rows with file, line, column and reason (JSON Lines)',
      '  manifests/   per-drop counts and hashes',
      '  reference/   harm weights, hotspot register (and its 25 m area cells), recipients',
      '',
      'Look around:',
      `  npx hotspot query "select crime_type, count(*) from incidents group by 1 order by 2 desc"`,
      `  npx hotspot query --format json "select * from quarantine limit 5"`,
      '',
    ].join('\n'),
  )
  if (failed > 0) process.exitCode = 1
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n')
}

main().catch((error: unknown) => {
  process.stderr.write(`hotspot: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
