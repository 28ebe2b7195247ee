import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { ENGINE_NAMES, type EngineName } from '../../functions/cli/sql-engines.ts'
import { type RunManifest, runMarts } from '../../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { fixedClock, type QueryEngine, type StagingBuilder } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { TEST_INGEST_SETTINGS } from '../helpers/ingest-settings.ts'
import { hotspot, type Run, SAMPLES } from './hotspot-cli.ts'

const AS_OF = '2026-03-02'

describe('hotspot sql: the SQL an engine runs for a mart', () => {
  let work: string
  let lake: string
  /** What runMarts sent to each engine, per mart, and the run's manifest. */
  const sent: Record<EngineName, Map<string, string>> = { athena: new Map(), duckdb: new Map() }
  const manifests = {} as Record<EngineName, RunManifest>

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-cli-sql-'))
    lake = path.join(work, 'lake')
    const store = new FsObjectStore(lake)
    const clock = fixedClock('2026-03-04T06:00:00Z')
    await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    await loadReference(store, 'register', path.join(SAMPLES, 'register.geojson'), clock)
    for (const feed of FEED_NAMES)
      await runIngestCommand([path.join(SAMPLES, feed)], {
        lake,
        feed,
        clock,
        settings: TEST_INGEST_SETTINGS,
      })
    // the nightly run on each engine, every query recorded on its way to the engine; the Athena run's SQL
    // (staging inlined) runs on DuckDB, which runs it unchanged
    for (const name of ENGINE_NAMES) {
      const duck = await DuckDbLake.open(lake)
      try {
        const engine: QueryEngine | (QueryEngine & StagingBuilder) = {
          name,
          query: (sql, parameters, options) => {
            sent[name].set(options?.label as string, sql)
            return duck.query(sql, parameters, options)
          },
          ...(name === 'duckdb' ? { prepareStaging: (staging) => duck.prepareStaging(staging) } : {}),
        }
        manifests[name] = await runMarts({
          store,
          engine,
          clock: fixedClock('2026-03-05T03:30:00Z'),
          asOf: AS_OF,
        })
      } finally {
        duck.close()
      }
    }
  }, 240_000)

  afterAll(async () => {
    await rm(work, { recursive: true, force: true })
  })

  // each CLI run is a Node process of a few seconds: three marts that between them take every path of
  // composition (shared blocks, staging read through other staging, several feeds); that the run and the CLI
  // agree on every mart follows from both calling martSql (tests/unit/mart-sql.test.ts checks the run's side)
  const MARTS = ['scorecard_weekly', 'concentration', 'funder_monthly'] as const

  it.each(ENGINE_NAMES)(
    'prints, byte for byte, what the run sent to %s',
    async (engine) => {
      const runs = await Promise.all(
        MARTS.map((mart) => hotspot('sql', mart, '--engine', engine, '--as-of', AS_OF, '--lake', lake)),
      )
      MARTS.forEach((mart, i) => {
        const run = runs[i] as Run
        expect(run.stderr, mart).toBe('')
        expect(run.code).toBe(0)
        expect(run.stdout, mart).toBe(sent[engine].get(mart))
        // so `hotspot sql ... | sha256sum` checks a run manifest's query_sha256
        expect(createHash('sha256').update(run.stdout).digest('hex')).toBe(
          manifests[engine].marts.find((m) => m.mart === mart)?.query_sha256,
        )
      })
      // staging inlined on Athena, read as tables on DuckDB
      expect(/\bstg_incidents as \(/.test(sent[engine].get('concentration') as string)).toBe(
        engine === 'athena',
      )
    },
    120_000,
  )

  it('takes the reference versions given instead of the latest loaded', async () => {
    const { weights_version: weights, register_version: register } = manifests.athena
    const run = await hotspot(
      'sql',
      'concentration',
      '--engine',
      'athena',
      '--as-of',
      AS_OF,
      '--lake',
      path.join(work, 'nothing-loaded'),
      '--weights-version',
      'w-0123456789abcdef',
      '--register-version',
      register,
    )
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(
      (sent.athena.get('concentration') as string).replace(`'${weights}'`, "'w-0123456789abcdef'"),
    )
  })

  it('takes the population version given (none is loaded, so the nightly run wrote null)', async () => {
    const { weights_version: weights, register_version: register } = manifests.athena
    const run = await hotspot(
      'sql',
      'stop_search_monthly',
      '--engine',
      'athena',
      '--as-of',
      AS_OF,
      '--lake',
      path.join(work, 'nothing-loaded'),
      '--weights-version',
      weights,
      '--register-version',
      register,
      '--population-version',
      'p-0123456789abcdef',
    )
    expect(run.code).toBe(0)
    const nightly = sent.athena.get('stop_search_monthly') as string
    expect(nightly).toContain('cast(null as varchar) as population_version')
    expect(run.stdout).toBe(
      nightly.replace(
        'cast(null as varchar) as population_version',
        "cast('p-0123456789abcdef' as varchar) as population_version",
      ),
    )
  })

  it.concurrent.each([
    ['an unknown mart', ['no_such_mart', '--engine', 'athena'], /^hotspot: unknown mart "no_such_mart"/],
    ['an unknown engine', ['tips_monthly', '--engine', 'spark'], /^hotspot: unknown engine "spark"/],
    [
      'a date that does not exist',
      ['tips_monthly', '--engine', 'duckdb', '--as-of', '2026-02-30'],
      /not a date/,
    ],
    [
      'a version that could not be a literal',
      ['tips_monthly', '--engine', 'duckdb', '--weights-version', "w'1"],
      /not a version/,
    ],
    [
      'a lake with no reference loaded',
      ['tips_monthly', '--engine', 'athena', '--lake', 'EMPTY'],
      /no harm weights loaded/,
    ],
  ])('fails on one line for %s', async (_, args, reason) => {
    const withDefaults = [...args]
    if (!withDefaults.includes('--as-of')) withDefaults.push('--as-of', AS_OF)
    const lakeAt = withDefaults.indexOf('--lake')
    if (lakeAt < 0) withDefaults.push('--lake', lake)
    else withDefaults[lakeAt + 1] = path.join(work, 'empty')
    const run = await hotspot('sql', ...withDefaults)
    expect(run.code).not.toBe(0)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(reason)
  })
})
