import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { martSql, runStaging, stagingPlacement } from '../../functions/core/analytics/mart-sql.ts'
import {
  composeMart,
  MART_NAMES,
  MartParameterError,
  martParameterNames,
  martQuery,
  martTemplate,
  stagingSql,
} from '../../functions/core/analytics/marts.ts'
import { MissingReferenceError, martParameters, runMarts } from '../../functions/core/analytics/run.ts'
import { fixedClock, type QueryEngine, type StagingBuilder } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/sample-drops')
const PARAMETERS = {
  as_of: '2026-03-02',
  weights_version: 'w-1',
  register_version: 'r-1',
  population_version: 'p-1',
  presence_visits_run: 'r20260330T023000Z-0123abcd',
}

/** The staging CTEs a query defines (`stg_x as (`). */
const definedStaging = (sql: string) => [...sql.matchAll(/\b(stg_[a-z_]+) as \(/g)].map((m) => m[1])

describe('runStaging: the staging built as tables before a run', () => {
  it('is none when staging is inlined, and the staging of the run when it is built as tables', () => {
    expect(runStaging('inlined').size).toBe(0)
    expect(runStaging('inlined', ['tips_monthly']).size).toBe(0)
    expect([...runStaging('tables').keys()]).toEqual([...stagingSql().keys()])
    expect([...runStaging('tables', ['concentration']).keys()]).toEqual([
      'stg_incidents',
      'stg_incident_harm',
    ])
  })
})

describe('martSql: the SQL sent for a mart', () => {
  it.each(MART_NAMES)(
    '%s with staging inlined carries it as CTEs, with the parameters written in',
    (mart) => {
      const sql = martSql('inlined', mart, PARAMETERS)
      expect(sql).toBe(composeMart(mart, PARAMETERS))
      expect(definedStaging(sql).length).toBeGreaterThan(0)
      expect(sql).toContain(
        "select cast('2026-03-02' as date) as as_of, cast('w-1' as varchar) as weights_version, cast('r-1' as varchar) as register_version",
      )
      expect(sql).not.toContain('?')
    },
  )

  it.each(MART_NAMES)('%s with staging as tables reads them by name, whichever marts run', (mart) => {
    const sql = martSql('tables', mart, PARAMETERS)
    expect(sql).toBe(composeMart(mart, PARAMETERS, { prepared: new Set(stagingSql().keys()) }))
    // GPS pings are read by window, pruned to the as-of date: inlined in their marts even where staging is built
    const byWindow = ['stg_patrol_ping_days', 'stg_patrol_pings'].filter((name) =>
      new RegExp(`\\b${name}\\b`).test(composeMart(mart, PARAMETERS)),
    )
    expect(definedStaging(sql).sort()).toEqual(byWindow)
    expect(sql).toMatch(/\bstg_[a-z_]+\b/)
    // `hotspot run --mart M` sends the same SQL for M as a run of every mart
    expect(martSql('tables', mart, PARAMETERS, [mart])).toBe(sql)
  })

  it('writes the population version (or null, when none is loaded) only into the marts that read the population', () => {
    const readers = MART_NAMES.filter((mart) => /\bfrom\s+population\b/i.test(martQuery(mart).text))
    expect(readers).toEqual(['stop_search_monthly'])
    const slot = (version: string) => `cast(${version} as varchar) as population_version`
    for (const mart of MART_NAMES) {
      const given = martSql('inlined', mart, { ...PARAMETERS, population_version: 'p-1' })
      const none = martSql('inlined', mart, { ...PARAMETERS, population_version: null })
      expect(given.includes(slot("'p-1'")), mart).toBe(readers.includes(mart))
      expect(none.includes(slot('null')), mart).toBe(readers.includes(mart))
    }
  })

  it('writes the presence_visits run only into presence_daily, which cannot run without one', () => {
    const slot = (run: string) => `cast(${run} as varchar) as presence_visits_run`
    for (const mart of MART_NAMES)
      expect(
        martSql('inlined', mart, PARAMETERS).includes(slot(`'${PARAMETERS.presence_visits_run}'`)),
        mart,
      ).toBe(mart === 'presence_daily')
    expect(martParameterNames('presence_daily')).toEqual([
      'as_of',
      'weights_version',
      'register_version',
      'presence_visits_run',
    ])
    expect(martTemplate('presence_daily')).toContain(slot("'PRESENCE_VISITS_RUN'"))
    for (const run of [undefined, null])
      expect(() => martSql('inlined', 'presence_daily', { ...PARAMETERS, presence_visits_run: run })).toThrow(
        /presence_daily sums the visits of a presence_visits run/,
      )
    expect(() => martSql('inlined', 'presence_daily', { ...PARAMETERS, presence_visits_run: "r'1" })).toThrow(
      MartParameterError,
    )
  })

  it('refuses parameters that are not a date and versions', () => {
    expect(() => martSql('inlined', 'tips_monthly', { ...PARAMETERS, as_of: '2026-02-30' })).toThrow(
      MartParameterError,
    )
    expect(() => martSql('tables', 'tips_monthly', { ...PARAMETERS, weights_version: "w'1" })).toThrow(
      MartParameterError,
    )
    expect(() => martSql('inlined', 'no_such_mart', PARAMETERS)).toThrow(/unknown mart/)
  })
})

describe('runMarts sends martSql, and takes its parameters from martParameters', () => {
  let root: string
  let store: FsObjectStore
  let weights: string
  let register: string

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-mart-sql-'))
    store = new FsObjectStore(path.join(root, 'lake'))
    const clock = fixedClock('2026-03-04T06:00:00Z')
    weights = (await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)).version
    register = (await loadReference(store, 'register', path.join(SAMPLES, 'register.geojson'), clock)).version
  }, 120_000)

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('defaults the versions to the latest loaded, and keeps those given', async () => {
    expect(await martParameters(store, '2026-03-02')).toEqual({
      as_of: '2026-03-02',
      weights_version: weights,
      register_version: register,
      // a population is optional: none is loaded
      population_version: null,
    })
    expect(await martParameters(store, '2026-03-02', { weightsVersion: 'w-old' })).toMatchObject({
      weights_version: 'w-old',
      register_version: register,
    })
    await expect(martParameters(store, '2026-13-01')).rejects.toThrow(/is not a date/)
    await expect(martParameters(new FsObjectStore(path.join(root, 'empty')), '2026-03-02')).rejects.toThrow(
      MissingReferenceError,
    )
  })

  it('takes the latest population loaded, or the one given', async () => {
    const lake = new FsObjectStore(path.join(root, 'with-population'))
    const clock = fixedClock('2026-03-04T06:00:00Z')
    await loadReference(lake, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    await loadReference(lake, 'register', path.join(SAMPLES, 'register.geojson'), clock)
    const population = async (name: string, residents: number, at: string) => {
      const file = path.join(root, name)
      await writeFile(file, `area_code,ethnicity_group,residents\nE09000001,White,${residents}\n`)
      return (await loadReference(lake, 'population', file, fixedClock(at))).version
    }
    // loaded later, though its file sorts first: the latest is the one loaded last
    const older = await population('b.csv', 100, '2026-03-04T07:00:00Z')
    const newer = await population('a.csv', 200, '2026-03-04T08:00:00Z')
    expect((await martParameters(lake, '2026-03-02')).population_version).toBe(newer)
    expect((await martParameters(lake, '2026-03-02', { populationVersion: older })).population_version).toBe(
      older,
    )
    await expect(martParameters(lake, '2026-03-02', { populationVersion: "p'1" })).rejects.toThrow(
      /population_version "p'1" is not a version/,
    )
  })

  /** An engine that answers every mart with no rows, and records the SQL and the staging it was given. */
  function recordingEngine(tables: boolean) {
    const sent = new Map<string, string>()
    const staged: string[][] = []
    const engine: QueryEngine | (QueryEngine & StagingBuilder) = {
      name: tables ? 'builds-staging' : 'inlines-staging',
      query: async (sql, parameters, options) => {
        expect(parameters).toEqual([])
        sent.set(options?.label as string, sql)
        return {
          columns: martQuery(options?.label as string).columns.map((c) => ({
            name: c.name,
            type: 'varchar',
          })),
          rows: [],
          stats: { elapsed_ms: 0 },
        }
      },
      ...(tables
        ? {
            prepareStaging: async (staging: ReadonlyMap<string, unknown>) => {
              staged.push([...staging.keys()])
              return new Set(staging.keys())
            },
          }
        : {}),
    }
    return { engine, sent, staged }
  }

  it.each([
    ['a StagingBuilder', true, 'tables'],
    ['an engine without the capability', false, 'inlined'],
  ] as const)('sends %s each mart as martSql gives it with staging %s', async (_, tables, placement) => {
    const { engine, sent, staged } = recordingEngine(tables)
    expect(stagingPlacement(engine)).toBe(placement)
    const marts = ['concentration', 'tips_monthly'] as const
    await runMarts({ store, engine, clock: fixedClock('2026-03-05T03:30:00Z'), asOf: '2026-03-02', marts })
    const parameters = {
      as_of: '2026-03-02',
      weights_version: weights,
      register_version: register,
      population_version: null,
    }
    expect([...sent.keys()]).toEqual([...marts])
    for (const mart of marts) expect(sent.get(mart)).toBe(martSql(placement, mart, parameters))
    expect(staged).toEqual(tables ? [[...runStaging('tables', marts).keys()]] : [])
  })

  it('refuses a StagingBuilder that does not build every staging table of the run', async () => {
    const { engine } = recordingEngine(true)
    await expect(
      runMarts({
        store,
        engine: { ...engine, prepareStaging: async () => new Set(['stg_incidents']) },
        clock: fixedClock('2026-03-05T03:30:00Z'),
        asOf: '2026-03-02',
      }),
    ).rejects.toThrow(/did not build the staging tables stg_/)
  })
})
