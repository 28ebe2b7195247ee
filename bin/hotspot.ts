/**
 * The command table. Each command's module is imported when the command runs, so that `hotspot --help` (and a
 * mistyped option) loads commander and this table only: it runs built (bin/built-cli.mjs), and a bundle's
 * dynamic imports are chunks of their own.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import type { QueryFormat } from '../functions/cli/query-command.ts'
import { ENGINE_NAMES } from '../functions/cli/sql-engines.ts'
import { MART_NAMES, type MartName, PRESENCE_MARTS } from '../functions/core/analytics/marts.ts'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { DEFAULT_END_DATE } from '../functions/core/generate/programme.ts'
import { FORMAT_NAMES } from '../functions/core/ingest/formats.ts'
import { REFERENCE_KINDS } from '../functions/core/reference/manifest.ts'

const DEFAULT_LAKE = '.hotspot/lake'

/** One line on stderr and a non-zero exit: what a script or a cron mail needs. */
function fail(message: string): never {
  process.stderr.write(`hotspot: ${message.split('\n')[0]}\n`)
  process.exit(1)
}

/**
 * What killed runs left (leftovers.ts) is removed while the command works, not before: a large lake takes
 * seconds to walk. The command waits for it at its end.
 */
let removingLeftovers: Promise<void> = Promise.resolve()

const program = new Command()
  .name('hotspot')
  .description('Hotspot policing pipeline: ingest daily drops, run the marts, email the reports.')
  .showHelpAfterError()
  .hook('preAction', (_, command) => {
    removingLeftovers = import('../functions/cli/leftovers.ts')
      .then(({ removeLeftovers }) => removeLeftovers(command.opts().lake))
      .then(
        () => undefined,
        (error: Error) => {
          process.stderr.write(
            `hotspot: leftovers of killed runs not removed: ${error.message.split('\n')[0]}\n`,
          )
        },
      )
  })
  .hook('postAction', () => removingLeftovers)

program
  .command('generate')
  .description('write a deterministic synthetic city: daily drops, register, recipients, weights, truth.json')
  .addOption(new Option('--scale <scale>', 'city size').choices(['demo', 'london']).default('demo'))
  .option('--years <n>', 'whole years of data (default 2 for demo, 5 for london)')
  .option('--seed <n>', 'random seed', '1')
  .option('--out <dir>', 'output folder', '.hotspot/demo')
  .option('--end-date <date>', 'last day of data (moved back to a Sunday)', DEFAULT_END_DATE)
  .option('--ping-days <n>', 'days of GPS pings at the end of the period (default 28; 0: none)')
  .option('--force', 'replace an earlier generation in --out')
  .option('--json', 'print the summary as JSON')
  .action(async (options) => {
    const { describeGenerateSummary, runGenerateCommand } = await import(
      '../functions/cli/generate-command.ts'
    )
    const summary = await runGenerateCommand({
      ...options,
      progress: process.stderr.isTTY && !options.json ? process.stderr : undefined,
    })
    process.stdout.write(
      options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${describeGenerateSummary(summary)}\n`,
    )
  })

program
  .command('ingest')
  .description('validate drops and store them in the lake (curated/, quarantine/, manifests/)')
  .addOption(
    new Option('--feed <feed>', 'feed the drops belong to').choices(FEED_NAMES).makeOptionMandatory(),
  )
  .option('--lake <dir>', 'lake folder', DEFAULT_LAKE)
  .addOption(
    new Option('--format <format>', 'source format (default: by extension and header)').choices(FORMAT_NAMES),
  )
  .option('--drop-date <date>', 'drop date (default: from the file name)')
  .addOption(
    new Option(
      '--encoding <encoding>',
      'text encoding (default: UTF-8, or as the file name declares)',
    ).choices(['utf-8', 'windows-1252']),
  )
  .option('--json', 'print the manifests as a JSON array on stdout')
  .argument(
    '<paths...>',
    'files, or folders (every regular file in name order, symlinks followed, hidden files left out)',
  )
  .action(async (paths: string[], options) => {
    const [{ describeManifest, runIngestCommand }, { ingestSettings }] = await Promise.all([
      import('../functions/cli/ingest-command.ts'),
      import('../functions/cli/config.ts'),
    ])
    const settings = ingestSettings(process.env)
    const showProgress = process.stderr.isTTY && !options.json
    const { results, failures } = await runIngestCommand(paths, {
      lake: options.lake,
      feed: options.feed,
      format: options.format,
      dropDate: options.dropDate,
      encoding: options.encoding,
      settings,
      progress: showProgress ? process.stderr : undefined,
    })
    if (options.json)
      process.stdout.write(
        `${JSON.stringify(
          results.map((r) => r.result.manifest),
          null,
          2,
        )}\n`,
      )
    else
      for (const { result } of results)
        process.stdout.write(`${describeManifest(result.manifest, result.outcome)}\n`)
    if (failures.length === 1) fail((failures[0] as { message: string }).message)
    if (failures.length > 1) {
      for (const f of failures) process.stderr.write(`hotspot: ${f.message.split('\n')[0]}\n`)
      fail(`${failures.length} of ${failures.length + results.length} files failed`)
    }
  })

program
  .command('load')
  .description(
    'load reference data: a hotspot register (GeoJSON), harm weights (CSV), recipients (JSON) or population by ethnicity (CSV)',
  )
  .option('--lake <dir>', 'lake folder', DEFAULT_LAKE)
  .option('--json', 'print the result as JSON')
  .argument('<kind>', REFERENCE_KINDS.join('|'), (kind: string) => {
    if (!(REFERENCE_KINDS as readonly string[]).includes(kind)) {
      throw new InvalidArgumentError(`expected one of ${REFERENCE_KINDS.join(', ')}`)
    }
    return kind
  })
  .argument('<file>', 'the reference file')
  .action(async (kind: (typeof REFERENCE_KINDS)[number], file: string, options) => {
    const [{ FsObjectStore }, { loadReference }] = await Promise.all([
      import('../functions/adapters/fs-object-store.ts'),
      import('../functions/core/reference/load.ts'),
    ])
    const result = await loadReference(new FsObjectStore(options.lake), kind, file)
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
    else {
      const summary = Object.entries(result.summary)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
      process.stdout.write(`${kind} ${result.version} ${result.outcome}: ${summary}\n`)
    }
  })

program
  .command('run')
  .description(
    'run the marts for one as-of date: results/<mart>/as_of=<date>/<run_id>.parquet and a run manifest',
  )
  .option('--lake <dir>', 'lake folder', DEFAULT_LAKE)
  .requiredOption('--as-of <date>', 'the date the results are as of (YYYY-MM-DD)')
  .option(
    '--mart <mart...>',
    `only these marts (${MART_NAMES.join(', ')}); a presence mart runs those before it first (${PRESENCE_MARTS.join(', then ')}): it reads their rows`,
  )
  .option('--weights-version <version>', 'harm weights version (default: the latest loaded)')
  .option('--register-version <version>', 'hotspot register version (default: the latest loaded)')
  .option(
    '--population-version <version>',
    'population version (default: the latest loaded; none when none is loaded)',
  )
  .option('--json', 'print the run manifest as JSON')
  .action(async (options) => {
    const unknown = (options.mart ?? []).filter((m: string) => !(MART_NAMES as readonly string[]).includes(m))
    if (unknown.length > 0) fail(`unknown mart(s) ${unknown.join(', ')}; expected ${MART_NAMES.join(', ')}`)
    const { describeRun, runRunCommand } = await import('../functions/cli/run-command.ts')
    const { engineSettings } = await import('../functions/cli/config.ts')
    const manifest = await runRunCommand({
      lake: options.lake,
      duckdbMemoryLimit: engineSettings(process.env).duckdbMemoryLimit,
      asOf: options.asOf,
      marts: options.mart as MartName[] | undefined,
      weightsVersion: options.weightsVersion,
      registerVersion: options.registerVersion,
      populationVersion: options.populationVersion,
      progress: process.stderr.isTTY && !options.json ? process.stderr : undefined,
    })
    process.stdout.write(
      options.json ? `${JSON.stringify(manifest, null, 2)}\n` : `${describeRun(manifest)}\n`,
    )
  })

program
  .command('sql')
  .description(
    'print the SQL an engine runs for a mart, exactly as `hotspot run` (duckdb) or the nightly Athena run sends it',
  )
  .argument('<mart>', MART_NAMES.join('|'))
  .requiredOption('--engine <engine>', ENGINE_NAMES.join('|'))
  .requiredOption('--as-of <date>', 'the date the results are as of (YYYY-MM-DD)')
  .option('--lake <dir>', 'lake folder: the reference versions default to the latest loaded', DEFAULT_LAKE)
  .option('--weights-version <version>', 'harm weights version (default: the latest loaded)')
  .option('--register-version <version>', 'hotspot register version (default: the latest loaded)')
  .option(
    '--population-version <version>',
    'population version (default: the latest loaded; none when none is loaded)',
  )
  .action(async (mart: string, options) => {
    const { runSqlCommand } = await import('../functions/cli/sql-command.ts')
    const sql = await runSqlCommand(mart, {
      lake: options.lake,
      engine: options.engine,
      asOf: options.asOf,
      weightsVersion: options.weightsVersion,
      registerVersion: options.registerVersion,
      populationVersion: options.populationVersion,
    })
    // the SQL byte for byte (`| sha256sum` gives the run manifest's query_sha256); a newline only on a terminal
    process.stdout.write(process.stdout.isTTY ? `${sql}\n` : sql)
  })

program
  .command('report')
  .description('email a report for one period: the weekly commander scorecards or the monthly funder report')
  .argument('<report>', 'weekly or monthly', (value: string) => {
    if (value !== 'weekly' && value !== 'monthly')
      throw new InvalidArgumentError('expected weekly or monthly')
    return value
  })
  .option('--lake <dir>', 'lake folder', DEFAULT_LAKE)
  .requiredOption('--period <period>', 'the ISO week (2026-W46) or the month (2026-10)')
  .option('--outbox <dir>', 'where .eml files (unless --smtp) and .html previews go', '.hotspot/outbox')
  .option('--smtp <url>', 'send through this SMTP server, e.g. smtp://localhost:1025')
  .option('--force-name <name>', 'the force, as named in subjects and headings', 'Demo City Police')
  .option(
    '--resend <reason>',
    'send the new figures to recipients whose figures changed since they were sent (logged in the ledger)',
  )
  .option('--json', 'print the outcome per recipient as JSON')
  .action(async (report: 'weekly' | 'monthly', options) => {
    const [{ describeReport, runReportCommand }, { describeUndelivered, undelivered }] = await Promise.all([
      import('../functions/cli/report-command.ts'),
      import('../functions/core/reports/send-reports.ts'),
    ])
    const summary = await runReportCommand({
      lake: options.lake,
      report,
      period: options.period,
      outbox: options.outbox,
      smtp: options.smtp,
      force: options.forceName,
      resend: options.resend,
    })
    process.stdout.write(
      options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${describeReport(summary, options.outbox)}\n`,
    )
    if (undelivered(summary).length > 0)
      fail(describeUndelivered(summary, 'to send the new figures, run again with --resend "<why>"'))
  })

program
  .command('query')
  .description(
    'run one SELECT over the lake, read-only: a view per feed (current versions) and per mart (latest finished run), <feed>_versions, quarantine, ingest_manifests, run_manifests',
  )
  .option('--lake <dir>', 'lake folder', DEFAULT_LAKE)
  .addOption(
    new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'),
  )
  .argument('<sql>', 'one SELECT statement (or WITH, DESCRIBE, SHOW, VALUES)')
  .action(async (sql: string, options) => {
    const { runQueryCommand } = await import('../functions/cli/query-command.ts')
    process.stdout.write(await runQueryCommand(options.lake, sql, options.format as QueryFormat))
  })

program
  .parseAsync(process.argv)
  .catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)))
