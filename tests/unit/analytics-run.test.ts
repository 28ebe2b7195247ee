import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { athenaParquetScans } from '../../bench/athena-scans.ts'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { runRunCommand } from '../../functions/cli/run-command.ts'
import {
  composeMart,
  MART_NAMES,
  type MartName,
  PRESENCE_MARTS,
} from '../../functions/core/analytics/marts.ts'
import {
  MartSchemaError,
  MissingReferenceError,
  type RunManifest,
  RunOutOfTimeError,
  runMarts,
} from '../../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { fixedClock, type QueryEngine, type StagingBuilder } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { requestRuns } from '../helpers/request-runs.ts'
import { sampleLake } from '../helpers/sample-lake.ts'

describe('runMarts over the sample lake', () => {
  let root: string
  let lake: string
  let store: FsObjectStore

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-run-'))
    lake = path.join(root, 'lake')
    store = await sampleLake(lake, FEED_NAMES)
  }, 120_000)

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  async function run(asOf: string, at: string) {
    const engine = await DuckDbLake.open(lake)
    try {
      return await runMarts({ store, engine, clock: fixedClock(at), asOf })
    } finally {
      engine.close()
    }
  }

  // Athena bills by the bytes a query reads, and Trino reads a feed again wherever a CTE that reads it is named
  // (queries/README.md): every mart reads each feed once. The patrol feeds (about 1 MB over five London years)
  // are read more than once by two marts, whose files say why; those counts may not grow.
  it('reads each feed once in every mart, as Athena plans it (each CTE where it is named)', async () => {
    const engine = await DuckDbLake.open(lake, { stagingCache: false })
    try {
      const versions = await engine.rows(
        'select (select max(weights_version) from harm_weights) as w, (select max(register_version) from hotspots) as r',
      )
      const { w, r } = versions.rows[0] as { w: string; r: string }
      const repeated: Record<string, Record<string, number>> = {}
      for (const mart of MART_NAMES) {
        const reads: Record<string, number> = {}
        for (const scan of await athenaParquetScans(
          engine,
          composeMart(mart, {
            as_of: '2026-03-02',
            weights_version: w,
            register_version: r,
            population_version: null,
            presence_visits_run: 'r20260305T033000Z-0123abcd',
          }),
        )) {
          const feed = /\/curated\/([a-z_]+)\//.exec(scan.file)?.[1]
          if (feed) reads[feed] = (reads[feed] ?? 0) + 1
        }
        const again = Object.entries(reads).filter(([, n]) => n > 1)
        if (again.length > 0) repeated[mart] = Object.fromEntries(again)
      }
      expect(repeated).toEqual({
        patrol_dosage: { patrol_visits: 4, patrol_allocations: 2 },
        funder_monthly: { incidents: 2, patrol_visits: 2 },
      })
    } finally {
      engine.close()
    }
  })

  it('writes every mart and a manifest naming its inputs, versions and queries', async () => {
    const manifest = await run('2026-03-02', '2026-03-05T03:30:00Z')
    // each presence mart first, as a run of its own that finished before the next began (each reads the
    // results of those before it)
    expect(manifest.marts.map((m) => m.mart)).toEqual(MART_NAMES.filter((m) => !PRESENCE_MARTS.includes(m)))
    expect(manifest.earlier_runs).toHaveLength(PRESENCE_MARTS.length)
    const presence: RunManifest[] = []
    for (const runId of manifest.earlier_runs)
      presence.push(JSON.parse((await store.getBytes(`manifests/runs/${runId}.json`)).toString('utf8')))
    expect(presence.map((p) => p.marts.map((m) => m.mart))).toEqual(PRESENCE_MARTS.map((m) => [m]))
    expect(presence.map((p) => p.earlier_runs)).toEqual(
      PRESENCE_MARTS.map((_, i) => manifest.earlier_runs.slice(0, i)),
    )
    for (const [i, run] of [...presence, manifest].entries())
      if (i > 0) expect((presence[i - 1] as RunManifest).finished_at <= run.started_at).toBe(true)
    for (const run of [...presence, manifest]) {
      for (const m of run.marts) {
        expect(m.result_key).toBe(`results/${m.mart}/as_of=2026-03-02/${run.run_id}.parquet`)
        expect(await store.exists(m.result_key)).toBe(true)
        expect(m.query_sha256).toMatch(/^[0-9a-f]{64}$/)
        expect(m.parameters).toEqual(['2026-03-02', manifest.weights_version, manifest.register_version])
      }
    }
    // a population is optional: none is loaded yet
    expect(manifest.population_version).toBeNull()
    // the 2026-03-03 drops are not inputs of a run as of 2026-03-02
    expect(manifest.inputs.incidents?.map((d) => d.drop_date)).toEqual(['2026-03-02'])
    expect(manifest.run_id).toMatch(/^r20260305T033000Z-[0-9a-f]{8}$/)
    const stored = JSON.parse(
      (await store.getBytes(`manifests/runs/${manifest.run_id}.json`)).toString('utf8'),
    )
    expect(stored).toEqual(manifest)
  })

  it('gives identical result rows when run again for the same as-of date', async () => {
    const first = await run('2026-03-03', '2026-03-05T03:30:00Z')
    const second = await run('2026-03-03', '2026-03-05T04:30:00Z')
    expect(second.run_id).not.toBe(first.run_id)
    const runOf = (manifest: RunManifest, mart: MartName) =>
      PRESENCE_MARTS.includes(mart)
        ? (manifest.earlier_runs[PRESENCE_MARTS.indexOf(mart)] as string)
        : manifest.run_id
    const duck = await DuckDbLake.open(lake)
    try {
      for (const mart of MART_NAMES) {
        const rows = async (runId: string) =>
          (
            await duck.rows(
              `select * from read_parquet('${lake}/results/${mart}/as_of=2026-03-03/${runId}.parquet')`,
            )
          ).rows
        expect(await rows(runOf(second, mart)), mart).toEqual(await rows(runOf(first, mart)))
      }
      // the mart views show the latest run of each as-of date
      const runs = await duck.rows(
        `select distinct run_id from scorecard_weekly where as_of = date '2026-03-03'`,
      )
      expect(second.marts.find((m) => m.mart === 'scorecard_weekly')?.rows).toBeGreaterThan(0)
      expect(runs.rows).toEqual([{ run_id: second.run_id }])
    } finally {
      duck.close()
    }
  })

  // a run killed part-way (kill -9, or out of time) leaves the results of the marts it finished and no manifest:
  // `report` refuses such a run (latestRun), and so must the views
  it('shows in the mart views only runs that finished (have a run manifest), never a later killed one', async () => {
    const finished = await run('2026-03-02', '2026-03-07T03:30:00Z')
    // the presence runs, then two marts of the rest
    let martsLeft = PRESENCE_MARTS.length + 2
    const engine = await DuckDbLake.open(lake, { stagingCache: false })
    try {
      const killed = runMarts({
        store,
        engine,
        clock: fixedClock('2026-03-07T04:30:00Z'),
        asOf: '2026-03-02',
        timeLeftMs: () => (martsLeft-- > 0 ? 60_000 : 0),
      })
      await expect(killed).rejects.toThrow(RunOutOfTimeError)
    } finally {
      engine.close()
    }
    let killedRun: string | undefined
    for await (const { key } of store.list('results/scorecard_weekly/as_of=2026-03-02/')) {
      const runId = /([^/]+)\.parquet$/.exec(key)?.[1]
      if (runId && runId > finished.run_id) killedRun = runId
    }
    expect(killedRun, 'the killed run left its first results').toBeDefined()
    expect(await store.exists(`manifests/runs/${killedRun}.json`)).toBe(false)
    const duck = await DuckDbLake.open(lake, { stagingCache: false })
    try {
      for (const mart of ['scorecard_weekly', 'patrol_dosage', 'patrol_effect'] as const) {
        const shown = await duck.rows(`select distinct run_id from ${mart} where as_of = date '2026-03-02'`)
        expect(shown.rows, mart).toEqual([{ run_id: finished.run_id }])
      }
    } finally {
      duck.close()
    }
  })

  it('refuses a mart whose result does not match its declared columns', async () => {
    const engine: QueryEngine & StagingBuilder = {
      name: 'duckdb',
      query: async () => ({
        columns: [{ name: 'x', type: 'varchar' }],
        rows: [],
        stats: { elapsed_ms: 0 },
      }),
      prepareStaging: async (staging) => new Set(staging.keys()),
    }
    await expect(
      runMarts({
        store,
        engine,
        clock: fixedClock('2026-03-05T05:00:00Z'),
        asOf: '2026-03-03',
        marts: ['tips_monthly'],
      }),
    ).rejects.toThrow(MartSchemaError)
  })

  it('refuses an as-of date after today in London: its day has not happened, so its results would be partial', async () => {
    // 23:30 UTC on Monday 2 March 2026 is 23:30 GMT: today in London is still 2 March
    await expect(run('2026-03-03', '2026-03-02T23:30:00Z')).rejects.toThrow(
      'as of 2026-03-03 is after today (2026-03-02 in London)',
    )
    // run ids start with the time the run started: nothing of a run started then was written
    const written: string[] = []
    for await (const { key } of store.list('results/'))
      if (key.includes('/r20260302T233000Z')) written.push(key)
    expect(written).toEqual([])
  })

  it('says which reference data is missing', async () => {
    const empty = new FsObjectStore(path.join(root, 'empty'))
    const engine = await DuckDbLake.open(path.join(root, 'empty'))
    await expect(
      runMarts({ store: empty, engine, clock: fixedClock('2026-03-05T05:00:00Z'), asOf: '2026-03-03' }),
    ).rejects.toThrow(MissingReferenceError)
    engine.close()
  })

  it('lets a correction change results as of its date and leaves results as of the day before unchanged', async () => {
    const before = await run('2026-03-03', '2026-03-06T03:30:00Z')
    // a correction dropped on 4 March: INC-00001, an Other theft in HS-02 on Sunday 1 March, was a Robbery
    const correction = path.join(root, '2026-03-04.csv')
    writeFileSync(
      correction,
      'incident_id,reported_at,crime_type,lat,lon,weapon_flag,domestic\nINC-00001,2026-03-01T01:52:00+00:00,Robbery,51.513837,-0.089189,knife,false\n',
    )
    await runIngestCommand([correction], {
      lake,
      feed: 'incidents',
      clock: fixedClock('2026-03-04T06:00:00Z'),
    })
    const dayBefore = await run('2026-03-03', '2026-03-06T04:30:00Z')
    const ofItsDate = await run('2026-03-04', '2026-03-06T05:30:00Z')
    const duck = await DuckDbLake.open(lake)
    try {
      const harm = async (runId: string, asOf: string) =>
        (
          await duck.rows(
            `select hotspot_id, week_start, harm, serious_violence_count from read_parquet('${lake}/results/scorecard_weekly/as_of=${asOf}/${runId}.parquet') order by all`,
          )
        ).rows
      expect(await harm(dayBefore.run_id, '2026-03-03')).toEqual(await harm(before.run_id, '2026-03-03'))
      expect(await harm(ofItsDate.run_id, '2026-03-04')).not.toEqual(await harm(before.run_id, '2026-03-03'))
    } finally {
      duck.close()
    }
  })

  // loads into the shared lake, so it comes last
  it('runs with the population version given (hotspot run --population-version), and records the one it used', async () => {
    const population = async (name: string, asianResidents: number, at: string) => {
      const file = path.join(root, name)
      writeFileSync(
        file,
        `area_code,ethnicity_group,residents\nE09000001,White,1000\nE09000001,Asian,${asianResidents}\n`,
      )
      return (await loadReference(store, 'population', file, fixedClock(at))).version
    }
    const older = await population('older.csv', 1000, '2026-03-04T07:00:00Z')
    const newer = await population('newer.csv', 500, '2026-03-04T08:00:00Z')
    const asianRow = async (manifest: { run_id: string }) => {
      const duck = await DuckDbLake.open(lake)
      try {
        return (
          await duck.rows(
            `select residents, disproportionality, population_version from read_parquet('${lake}/results/stop_search_monthly/as_of=2026-03-02/${manifest.run_id}.parquet') where month = date '2026-03-01' and group_type = 'ethnicity' and group_value = 'Asian'`,
          )
        ).rows
      } finally {
        duck.close()
      }
    }
    const options = { lake, asOf: '2026-03-02', marts: ['stop_search_monthly' as const] }
    const latest = await runRunCommand({ ...options, clock: fixedClock('2026-03-08T03:30:00Z') })
    const pinned = await runRunCommand({
      ...options,
      clock: fixedClock('2026-03-08T04:30:00Z'),
      populationVersion: older,
    })
    expect(latest.population_version).toBe(newer)
    expect(pinned.population_version).toBe(older)
    // as of 2 March, March has 2 Asian and 2 White searches (the 2026-03-02 drop). RR = (2 / P_Asian) / (2 / P_White):
    // the newer population (500 Asian, 1000 White) gives (2/500) / (2/1000) = 2; the older (1000, 1000) gives 1
    expect(await asianRow(latest)).toEqual([
      { residents: 500, disproportionality: 2, population_version: newer },
    ])
    expect(await asianRow(pinned)).toEqual([
      { residents: 1000, disproportionality: 1, population_version: older },
    ])
  })

  it('runs every stage with the reference versions it started with, though weights are loaded meanwhile', async () => {
    const engine = await DuckDbLake.open(lake, { stagingCache: false })
    const before = await runMarts({
      store,
      engine,
      clock: fixedClock('2026-03-09T03:30:00Z'),
      asOf: '2026-03-02',
      marts: ['presence_visits'],
    })
    // the same weights with a comment line: another file, so another version
    const changed = path.join(root, 'weights-changed.csv')
    writeFileSync(changed, `# changed during a run\n${readFileSync(DEFAULT_WEIGHTS_FILE, 'utf8')}`)
    let loaded: string | undefined
    const loading: QueryEngine = {
      name: engine.name,
      refresh: engine.refresh.bind(engine),
      query: async (sql, parameters, options) => {
        const result = await engine.query(sql, parameters, options)
        if (options?.label === 'presence_visits')
          loaded = (await loadReference(store, 'weights', changed, fixedClock('2026-03-09T03:31:00Z')))
            .version
        return result
      },
    } as QueryEngine
    try {
      const manifest = await runMarts({
        store,
        engine: loading,
        clock: fixedClock('2026-03-09T04:30:00Z'),
        asOf: '2026-03-02',
        marts: ['presence_daily', 'tips_monthly'],
      })
      expect(loaded).toBeDefined()
      expect(loaded).not.toBe(before.weights_version)
      const runs = requestRuns(lake, manifest)
      expect(runs.map((run) => run.marts.map((m) => m.mart))).toEqual([
        ['presence_visits'],
        ['presence_daily'],
        ['tips_monthly'],
      ])
      for (const run of runs) {
        expect(run.weights_version).toBe(before.weights_version)
        expect(run.inputs).toEqual(before.inputs)
      }
    } finally {
      engine.close()
    }
  })
})
