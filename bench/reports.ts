/**
 * `npm run bench:reports`: render and deliver the weekly scorecard to an outbox for 100 commanders (each with
 * one to three of the demo city's 20 hotspots, so three to seven charts per email). A demo lake is built once under
 * bench/.reports/. Figures go to bench/results/reports.json. Target (2 cores): at most 300 ms per email,
 * charts included.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { cpus } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDbLake } from '../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { OutboxMailer } from '../functions/adapters/outbox-mailer.ts'
import { runIngestCommand } from '../functions/cli/ingest-command.ts'
import { runMarts } from '../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { generateCity } from '../functions/core/generate/generate.ts'
import { systemClock } from '../functions/core/ports.ts'
import { loadReference } from '../functions/core/reference/load.ts'
import { chartRasteriser } from '../functions/core/reports/charts/rasterise.ts'
import { weekBefore } from '../functions/core/reports/periods.ts'
import { sendReports } from '../functions/core/reports/send-reports.ts'
import { formatDay, parseDate } from '../functions/core/time/days.ts'
import { BENCH_INGEST_SETTINGS } from './ingest-settings.ts'
import { median } from './median.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const HOME = path.join(here, '.reports')
const CITY = path.join(HOME, 'city')
const LAKE = path.join(HOME, 'lake')
const COMMANDERS = Number(process.env.BENCH_COMMANDERS ?? 100)
const say = (text: string) => process.stderr.write(`${text}\n`)

async function buildLake(): Promise<string> {
  if (!existsSync(path.join(CITY, 'truth.json'))) {
    say('generating a demo city (once)...')
    await generateCity({ scale: 'demo', years: 4, seed: 3, out: CITY })
  }
  const truth = JSON.parse(readFileSync(path.join(CITY, 'truth.json'), 'utf8')) as { dates: { end: string } }
  const store = new FsObjectStore(LAKE)
  if (!existsSync(path.join(LAKE, 'manifests', 'runs'))) {
    say('ingesting and running the marts (once)...')
    await loadReference(store, 'weights', path.join(CITY, 'weights.csv'))
    await loadReference(store, 'register', path.join(CITY, 'register.geojson'))
    for (const feed of FEED_NAMES)
      await runIngestCommand([path.join(CITY, 'drops', feed)], {
        lake: LAKE,
        feed,
        settings: BENCH_INGEST_SETTINGS,
      })
    const engine = await DuckDbLake.open(LAKE)
    await runMarts({ store, engine, clock: systemClock, asOf: truth.dates.end })
    engine.close()
  }
  // 100 commanders, each with one to three hotspots, in a recipients file of its own
  const hotspots = Array.from({ length: 20 }, (_, i) => `HS-${String(i + 1).padStart(2, '0')}`)
  const recipients = {
    sender: { name: 'Hotspot pipeline', email: 'hotspot@example.police.uk' },
    commanders: Array.from({ length: COMMANDERS }, (_, i) => ({
      id: `CMD-${String(i + 1).padStart(3, '0')}`,
      name: `Inspector ${i + 1}`,
      email: `commander${i + 1}@example.police.uk`,
      hotspot_ids: hotspots.slice(i % 20, (i % 20) + 1 + (i % 3)).filter(Boolean),
    })),
    funders: [{ name: 'Example Violence Reduction Unit', email: 'funder@example.org' }],
  }
  const file = path.join(HOME, `recipients-${COMMANDERS}.json`)
  writeFileSync(file, JSON.stringify(recipients, null, 1))
  await loadReference(store, 'recipients', file)
  return truth.dates.end
}

async function main(): Promise<void> {
  const asOf = await buildLake()
  const period = weekBefore(formatDay((parseDate(asOf) as number) + 1))
  const store = new FsObjectStore(LAKE)
  // each run sends afresh: clear the ledger, archive and outbox of earlier runs
  for (const folder of ['ledger', 'archive'])
    await rm(path.join(LAKE, folder), { recursive: true, force: true })
  const outbox = path.join(HOME, 'outbox')
  await rm(outbox, { recursive: true, force: true })
  const perEmail: number[] = []
  let last = performance.now()
  const started = last
  const summary = await sendReports({
    store,
    mailer: {
      name: 'outbox',
      async send(message) {
        const sent = await new OutboxMailer(outbox).send(message)
        const now = performance.now()
        perEmail.push(now - last)
        last = now
        return sent
      },
    },
    clock: systemClock,
    period,
    force: 'Demo City Police',
    rasterise: chartRasteriser(),
  })
  const totalSeconds = (performance.now() - started) / 1000
  const sent = summary.outcomes.filter((o) => o.outcome.state === 'sent').length
  const result = {
    benchmark: 'reports',
    command: 'npm run bench:reports',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, node: process.version },
    report: 'weekly',
    period: period.id,
    commanders: COMMANDERS,
    emails_sent: sent,
    total_seconds: Number(totalSeconds.toFixed(2)),
    // the first email also pays for loading results, the register and the chart machinery
    first_email_ms: Math.round(perEmail[0] ?? 0),
    median_ms_per_email: Math.round(median(perEmail.slice(1))),
    p95_ms_per_email: Math.round(
      [...perEmail.slice(1)].sort((a, b) => a - b)[Math.floor((perEmail.length - 2) * 0.95)] ?? 0,
    ),
    mean_ms_per_email_all_in: Math.round((totalSeconds * 1000) / Math.max(1, sent)),
    target_ms_per_email: 300,
  }
  mkdirSync(path.join(here, 'results'), { recursive: true })
  writeFileSync(path.join(here, 'results', 'reports.json'), `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}

await main()
