/**
 * The S3 LIST requests partition projection implies (README, "What it costs at London scale"), derived from the
 * SQL the nightly run sends. Athena (Trino) inlines a CTE wherever it is read, so each read of a staging CTE is
 * one scan of its feed's `<feed>_versions` table, and each scan lists every projected `dt` prefix it may read:
 * with staging pruned to `dt <= as_of` (composeSql), the days from the first drop date to the as-of date.
 */
import { describe, expect, it } from 'vitest'
import { composeMart, MART_NAMES, type MartName, prunedToAsOf } from '../../functions/core/analytics/marts.ts'

type Scans = Record<string, number>

/** The SQL without `--` comments (quotes respected): a comment between two CTEs would end the list. */
function withoutComments(sql: string): string {
  let out = ''
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i] as string
    if (c === "'") {
      const end = sql.indexOf("'", i + 1)
      out += sql.slice(i, end + 1)
      i = end
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end < 0 ? sql.length : end - 1
    } else out += c
  }
  return out
}

/** The CTEs a statement opens with (`with a as (...), b as (...)`), in order, and the statement after them. */
function splitCtes(sql: string): { ctes: [string, string][]; main: string } {
  const ctes: [string, string][] = []
  const head = /^\s*with\s+/i.exec(sql)
  if (!head) return { ctes, main: sql }
  let i = head[0].length
  const cte = /\s*,?\s*([a-z_][a-z0-9_]*)\s+as\s*\(/iy
  for (;;) {
    cte.lastIndex = i
    const m = cte.exec(sql)
    if (!m) break
    let depth = 1
    let j = cte.lastIndex
    while (depth > 0) {
      const c = sql[j]
      if (c === undefined) throw new Error(`unbalanced parentheses after ${m[1]}`)
      if (c === "'") j = sql.indexOf("'", j + 1)
      else if (c === '(') depth++
      else if (c === ')') depth--
      j++
    }
    ctes.push([(m[1] as string).toLowerCase(), sql.slice(cte.lastIndex, j - 1)])
    i = j
  }
  return { ctes, main: sql.slice(i) }
}

/**
 * Scans of each feed's versions table by a statement: each `from`/`join` of a `<feed>_versions` table is one,
 * and each of a CTE in scope counts that CTE's scans again. A CTE body's own `with` opens a scope of its own
 * (the staging queries each end in their own `final`, as do the marts).
 */
function feedScans(sql: string, outer: ReadonlyMap<string, Scans> = new Map()): Scans {
  const { ctes, main } = splitCtes(sql)
  const scope = new Map(outer)
  for (const [name, body] of ctes) scope.set(name, feedScans(body, scope))
  const scans: Scans = {}
  for (const m of main.matchAll(/\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b/gi)) {
    const name = (m[1] as string).toLowerCase()
    const read =
      scope.get(name) ?? (name.endsWith('_versions') ? { [name.slice(0, -'_versions'.length)]: 1 } : {})
    for (const [feed, n] of Object.entries(read)) scans[feed] = (scans[feed] ?? 0) + n
  }
  return scans
}

const BOUND = {
  as_of: '2026-12-31',
  weights_version: 'w-1',
  register_version: 'r-1',
  population_version: 'p-1',
  presence_visits_run: 'r20261231T033000Z-0123abcd',
}
const scansOf = (mart: MartName) => feedScans(withoutComments(composeMart(mart, BOUND)))
const total = (scans: Scans) => Object.values(scans).reduce((sum, n) => sum + n, 0)

/** Projected daily prefixes from the projection's first day to the as-of date, both included. */
const days = (first: string, asOf: string) => (Date.parse(asOf) - Date.parse(first)) / 86_400_000 + 1
/** S3 Standard, us-east-1 and eu-west-2: PUT, COPY, POST and LIST requests, per 1,000. */
const LIST_PRICE_PER_1000 = 0.005
const NIGHTS_PER_MONTH = 30

describe('feed scans of the nightly run, from the SQL it sends', () => {
  it('reads the feeds the DuckDB plan reads more than once as often (analytics-run.test.ts)', () => {
    const repeated = Object.fromEntries(
      MART_NAMES.map((mart) => [
        mart,
        Object.fromEntries(Object.entries(scansOf(mart)).filter(([, n]) => n > 1)),
      ]).filter(([, again]) => Object.keys(again as Scans).length > 0),
    )
    expect(repeated).toEqual({
      patrol_dosage: { patrol_visits: 4, patrol_allocations: 2 },
      funder_monthly: { incidents: 2, patrol_visits: 2 },
    })
  })

  it('is 35 scans a night: every feed a mart uses once, but for patrol_dosage and funder_monthly', () => {
    expect(Object.fromEntries(MART_NAMES.map((mart) => [mart, total(scansOf(mart))]))).toEqual({
      scorecard_weekly: 4, // incidents, arrests, stop_searches, tips
      patrol_dosage: 6, // patrol_visits 4, patrol_allocations 2
      patrol_effect: 2, // patrol_allocations, incidents
      displacement: 1,
      victim_satisfaction_monthly: 2, // survey_responses, incidents
      stop_search_monthly: 1,
      tips_monthly: 1,
      arrests_weekly: 1,
      concentration: 1,
      hotspot_candidates: 1,
      funder_monthly: 9, // incidents 2 (its crime figures, and shr_victim_satisfaction), patrol_visits 2, the rest once
      hotspot_heatmap: 1,
      presence_visits: 1, // patrol_pings, by window
      presence_daily: 1, // patrol_pings by window: their drop dates (partitions only); the pings are presence_visits'
      presence_weekly: 1, // patrol_allocations
      dose_response: 2, // patrol_allocations, incidents
    })
    expect(MART_NAMES.reduce((sum, mart) => sum + total(scansOf(mart)), 0)).toBe(35)
  })

  it('scans no feed without the dt <= as_of pruning, and GPS pings only in the presence window', () => {
    for (const mart of MART_NAMES) {
      // every mention of a versions table, in any case, is a pruned read or the alias of one
      const rest = composeMart(mart, BOUND)
        .replace(/--[^\n]*/g, ' ')
        .replace(
          /\(select \* from [a-z_]+_versions where dt <= date '2026-12-31'\) as [a-z_]+_versions/g,
          (read) => (read.includes('patrol_pings') ? read : ' '),
        )
        // the window's 3 days and the day before (contracts/presence.ts)
        .replace(
          /\(select \* from patrol_pings_versions where dt between date '2026-12-28' and date '2026-12-31'\) as patrol_pings_versions/g,
          ' ',
        )
      expect(rest.match(/[a-z0-9_]*_versions\b/gi), mart).toBeNull()
    }
  })

  it('prunes a read in any case and with an alias, and refuses a read it cannot prune', () => {
    expect(prunedToAsOf('select x\nFROM tips_versions\nwhere y', '2026-12-31', 'q')).toBe(
      "select x\nfrom (select * from tips_versions where dt <= date '2026-12-31') as tips_versions\nwhere y",
    )
    expect(prunedToAsOf('select * from tips_versions as v', '2026-12-31', 'q')).toBe(
      "select * from (select * from tips_versions where dt <= date '2026-12-31') as v",
    )
    for (const unprunable of [
      'select * from tips_versions v where y',
      'select * from a join tips_versions as t on a.k = t.k',
      'select * from a, tips_versions',
    ])
      expect(() => prunedToAsOf(unprunable, '2026-12-31', 'q'), unprunable).toThrow(/as-of pruning/)
  })
})

describe('S3 LIST requests per night and per month (README figures)', () => {
  const scans = MART_NAMES.map(scansOf)
  const pingScans = scans.reduce((sum, s) => sum + (s.patrol_pings ?? 0), 0)
  const otherScans = scans.reduce((sum, s) => sum + total(s), 0) - pingScans
  const figures = (first: string, asOf: string) => {
    // a scan of the pings lists the 4 days of the presence window and the day before it
    const perNight = otherScans * days(first, asOf) + pingScans * 4
    const perMonth = perNight * NIGHTS_PER_MONTH
    return {
      prefixes: days(first, asOf),
      perNight,
      perMonth,
      dollars: (perMonth / 1000) * LIST_PRICE_PER_1000,
    }
  }

  it('projection from the first drop date (2026-01-01): a year and five years on', () => {
    expect(figures('2026-01-01', '2026-12-31')).toEqual({
      prefixes: 365,
      perNight: 12_053,
      perMonth: 361_590,
      dollars: expect.closeTo(1.81, 2),
    })
    expect(figures('2026-01-01', '2030-12-31')).toEqual({
      prefixes: 1_826,
      perNight: 60_266,
      perMonth: 1_807_980,
      dollars: expect.closeTo(9.04, 2),
    })
  })

  it('projection from 2000-01-01, the same nights', () => {
    expect(figures('2000-01-01', '2026-12-31')).toEqual({
      prefixes: 9_862,
      perNight: 325_454,
      perMonth: 9_763_620,
      dollars: expect.closeTo(48.82, 2),
    })
    expect(figures('2000-01-01', '2030-12-31')).toEqual({
      prefixes: 11_323,
      perNight: 373_667,
      perMonth: 11_210_010,
      dollars: expect.closeTo(56.05, 2),
    })
  })
})
