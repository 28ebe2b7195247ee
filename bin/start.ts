/**
 * `npm start`: the whole pipeline locally, on the demo city. Everything stays under ./.hotspot/:
 * demo/ (the generated city: daily drops, register, recipients, weights, population, truth.json), lake/ (the lake) and
 * outbox/ (the emails as .eml files, and an .html preview of each).
 * Running it again reuses what is there: the city is not regenerated, drops already ingested are recognised by
 * their content hash, and only the marts run again.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { FsObjectStore } from '../functions/adapters/fs-object-store.ts'
import { engineSettings, ingestSettings } from '../functions/cli/config.ts'
import { runIngestCommand } from '../functions/cli/ingest-command.ts'
import { removeLeftovers } from '../functions/cli/leftovers.ts'
import { runQueryCommand } from '../functions/cli/query-command.ts'
import { describeReport, runReportCommand } from '../functions/cli/report-command.ts'
import { describeRun, runPresenceBackfill, runRunCommand } from '../functions/cli/run-command.ts'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { generateCity } from '../functions/core/generate/generate.ts'
import { loadReference } from '../functions/core/reference/load.ts'
import { monthBefore, weekBefore } from '../functions/core/reports/periods.ts'
import { undelivered } from '../functions/core/reports/send-reports.ts'
import { formatDay, parseDate } from '../functions/core/time/days.ts'

/** Three years before the programme's last year: the seasonal baseline (9 weeks over 3 years) needs them. */
const DEMO_YEARS = 4
const home = path.resolve('.hotspot')
const demo = path.join(home, 'demo')
const lake = path.join(home, 'lake')
const outbox = path.join(home, 'outbox')
/** The demo's pseudonymisation key: made on the first run, kept with the lake it pseudonymised (never committed). */
const demoKeyFile = path.join(home, 'pseudonym.key')
const FORCE = 'Demo City Police'
const out = process.stdout
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`

async function main(): Promise<void> {
  let started = performance.now()
  // an earlier `npm start` stopped mid-way (Ctrl-C) left its work folders and temporary files
  await removeLeftovers(lake)
  if (!existsSync(path.join(demo, 'truth.json'))) {
    out.write(`Generating the demo city into ${demo} ...\n`)
    const summary = await generateCity({ scale: 'demo', years: DEMO_YEARS, seed: 1, out: demo })
    out.write(
      `  ${summary.start_date} .. ${summary.end_date}: ${summary.files} daily drops (${seconds(started)})\n`,
    )
  } else out.write(`Demo city: ${demo} (already generated)\n`)
  const truth = JSON.parse(readFileSync(path.join(demo, 'truth.json'), 'utf8')) as {
    dates: { end: string }
    /** A city generated before the demo had pings has none. */
    patrol_pings?: { period: { first_day: string; last_day: string } | null }
  }
  const asOf = truth.dates.end

  out.write('\nReference data\n')
  const store = new FsObjectStore(lake)
  for (const [kind, file] of [
    ['weights', 'weights.csv'],
    ['register', 'register.geojson'],
    ['recipients', 'recipients.json'],
    ['population', 'population.csv'],
  ] as const) {
    // a demo generated before the city had a population
    if (kind === 'population' && !existsSync(path.join(demo, file))) {
      out.write(`  ${kind.padEnd(10)} none in ${demo} (remove the folder to generate one with it)\n`)
      continue
    }
    const result = await loadReference(store, kind, path.join(demo, file))
    out.write(`  ${kind.padEnd(10)} ${result.version}  ${result.outcome}\n`)
  }

  const settings = demoIngestSettings()
  const { duckdbMemoryLimit } = engineSettings(process.env)
  out.write('\nDrops (rows in = accepted + quarantined + duplicate)\n')
  out.write(
    `  ${'feed'.padEnd(20)} ${'drops'.padStart(6)} ${'new'.padStart(6)} ${'rows in'.padStart(10)} ${'accepted'.padStart(10)} ${'quarantined'.padStart(12)} ${'duplicate'.padStart(10)}\n`,
  )
  let failed = 0
  for (const feed of FEED_NAMES) {
    started = performance.now()
    const { results, failures } = await runIngestCommand([path.join(demo, 'drops', feed)], {
      lake,
      feed,
      settings,
    })
    const sum = (pick: (m: (typeof results)[number]['result']['manifest']) => number) =>
      results.reduce((total, r) => total + pick(r.result.manifest), 0)
    const fresh = results.filter((r) => r.result.outcome === 'ingested').length
    out.write(
      `  ${feed.padEnd(20)} ${String(results.length).padStart(6)} ${String(fresh).padStart(6)} ${String(sum((m) => m.rows_in)).padStart(10)} ${String(sum((m) => m.rows_accepted)).padStart(10)} ${String(sum((m) => m.rows_quarantined)).padStart(12)} ${String(sum((m) => m.rows_duplicate)).padStart(10)}  ${seconds(started)}\n`,
    )
    for (const failure of failures) out.write(`  FAILED ${failure.message}\n`)
    failed += failures.length
  }

  // the demo's pings began weeks before its first nightly run: measure their days as the nightly runs would have
  const pings = truth.patrol_pings?.period
  if (pings) {
    started = performance.now()
    const ran = await runPresenceBackfill({
      lake,
      from: pings.first_day,
      to: pings.last_day,
      duckdbMemoryLimit,
    })
    out.write(
      `\nPresence from GPS pings, ${pings.first_day} .. ${pings.last_day}: ${ran.length === 0 ? 'measured already' : `${ran.length} presence runs`} (${seconds(started)})\n`,
    )
  }

  out.write(`\nMarts as of ${asOf}\n`)
  started = performance.now()
  const manifest = await runRunCommand({ lake, asOf, duckdbMemoryLimit })
  out.write(`${indent(describeRun(manifest))}\n  (${seconds(started)})\n`)

  // the monthly report reads results as of its month's last day
  const dayAfter = formatDay((parseDate(asOf) as number) + 1)
  const month = monthBefore(dayAfter)
  if (month.lastDay !== asOf) {
    started = performance.now()
    const monthly = await runRunCommand({ lake, asOf: month.lastDay, duckdbMemoryLimit })
    out.write(
      `  and as of ${month.lastDay} for the ${month.label} report: run ${monthly.run_id} (${seconds(started)})\n`,
    )
  }

  out.write(`\nThe latest week in each hotspot (scorecard_weekly)\n`)
  out.write(
    indent(
      await runQueryCommand(
        lake,
        `select hotspot_id, week_start, crime_count, round(harm, 1) as harm, count_last_year, flag, count_28d, count_fytd
         from scorecard_weekly where as_of = date '${asOf}'
           and week_start = (select max(week_start) from scorecard_weekly where as_of = date '${asOf}')
         order by harm desc limit 10`,
        'table',
      ),
    ),
  )
  out.write('\nThe patrol-day effect (patrol_effect, all hotspots)\n')
  out.write(
    indent(
      await runQueryCommand(
        lake,
        `select outcome, n_assigned_days, n_unassigned_days, round(effect, 3) as effect,
           round(effect_ci_low, 3) as ci_low, round(effect_ci_high, 3) as ci_high
         from patrol_effect where as_of = date '${asOf}' and scope = 'all' order by outcome`,
        'table',
      ),
    ),
  )
  out.write('\nReports (to the outbox: .eml files and an .html preview of each)\n')
  for (const [report, period] of [
    ['weekly', weekBefore(dayAfter).id],
    ['monthly', month.id],
  ] as const) {
    started = performance.now()
    const summary = await runReportCommand({ lake, report, period, outbox, force: FORCE })
    out.write(`${indent(describeReport(summary, outbox))}\n  (${seconds(started)})\n`)
    failed += undelivered(summary).length
  }
  out.write(
    [
      '',
      `Emails: ${outbox}/<weekly|monthly>/<period>/<recipient>.eml, each with an .html preview to open in a browser`,
      `Lake: ${lake}`,
      '  curated/ quarantine/ manifests/   what was ingested, what was rejected and why, per-drop counts',
      '  results/<mart>/as_of=<date>/      the marts, one Parquet file per run; manifests/runs/ says how each was made',
      '',
      'Look around:',
      `  npx hotspot query "select * from scorecard_weekly where hotspot_id = 'HS-01' order by week_start desc limit 5"`,
      '  npx hotspot query "select feed, code, count(*) from quarantine group by all order by 3 desc"',
      '',
    ].join('\n'),
  )
  if (failed > 0) process.exitCode = 1
}

/**
 * The ingest's settings as `hotspot ingest` reads them; without a key configured, the demo's own key file, made
 * with a random key on the first run and reused after, so the demo's device pseudonyms stay the same.
 */
function demoIngestSettings() {
  const env = process.env
  if (env.HOTSPOT_PSEUDONYM_KEY || env.HOTSPOT_PSEUDONYM_KEY_FILE) return ingestSettings(env)
  try {
    writeFileSync(demoKeyFile, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 })
    out.write(`  a new pseudonymisation key for the demo's device ids: ${demoKeyFile}\n`)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return ingestSettings({ ...env, HOTSPOT_PSEUDONYM_KEY_FILE: demoKeyFile })
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
