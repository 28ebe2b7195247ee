import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, type Given, POPULATION_VERSION, rectangle, TestLake } from './harness.ts'

const inH1 = cellCentre(20_000, 7_000)
const outside = cellCentre(20_100, 7_100)

const search = (row: Record<string, string | number | boolean | null>) => ({
  officer_defined_ethnicity: null,
  object_of_search: null,
  outcome: null,
  outcome_linked: null,
  ...row,
})

/** A row of the mart, with the zero-search defaults spelt out. */
const expected = (
  month: string,
  groupType: string,
  groupValue: string,
  searches: number,
  finds: number,
  arrests: number,
) => ({
  month,
  group_type: groupType,
  group_value: groupValue,
  searches,
  finds,
  find_rate: searches === 0 ? null : finds / searches,
  arrests,
  arrest_rate: searches === 0 ? null : arrests / searches,
  residents: null,
  searches_per_1000: null,
  disproportionality: null,
  disproportionality_ci_low: null,
  disproportionality_ci_high: null,
  population_version: null,
})

const given: Given = {
  area_cells: [
    ...rectangle('H1', 'hotspot', 20_000, 7_000, 2, 2),
    ...rectangle('H2', 'hotspot', 21_000, 8_000, 1, 1),
  ],
  feeds: {
    stop_searches: [
      // 23:30 UTC on 28 February is 23:30 GMT: still February
      search({
        search_id: 'K6',
        searched_at: '2026-02-28T23:30:00Z',
        officer_defined_ethnicity: 'White',
        object_of_search: 'Controlled drugs',
        outcome: 'Khat or Cannabis warning',
        outcome_linked: true,
        ...outside,
      }),
      search({
        search_id: 'K1',
        searched_at: '2026-03-03T10:00:00Z',
        officer_defined_ethnicity: 'White',
        object_of_search: 'Controlled drugs',
        outcome: 'Arrest',
        outcome_linked: true,
        ...inH1,
      }),
      search({
        search_id: 'K2',
        searched_at: '2026-03-04T10:00:00Z',
        officer_defined_ethnicity: 'Black',
        object_of_search: 'Controlled drugs',
        outcome: 'A no further action disposal',
        outcome_linked: false,
        ...inH1,
      }),
      // corrected on 20 April to an arrest: not seen as of 15 April
      search({
        search_id: 'K2',
        searched_at: '2026-03-04T10:00:00Z',
        officer_defined_ethnicity: 'Black',
        object_of_search: 'Controlled drugs',
        outcome: 'Arrest',
        outcome_linked: false,
        ...inH1,
        drop_date: '2026-04-20',
      }),
      // the older police.uk wording of an arrest
      search({
        search_id: 'K3',
        searched_at: '2026-03-05T10:00:00Z',
        officer_defined_ethnicity: 'Black',
        object_of_search: 'Offensive weapons',
        outcome: 'Suspect arrested',
        outcome_linked: true,
        ...outside,
      }),
      // no ethnicity, no location, link unknown
      search({
        search_id: 'K4',
        searched_at: '2026-03-06T10:00:00Z',
        object_of_search: 'Stolen goods',
        outcome: 'Community resolution',
      }),
      // 23:30 UTC on 31 March is 00:30 BST on 1 April
      search({
        search_id: 'K5',
        searched_at: '2026-03-31T23:30:00Z',
        officer_defined_ethnicity: 'Asian',
        object_of_search: 'Controlled drugs',
        outcome: 'Arrest',
        outcome_linked: false,
        ...inH1,
      }),
      // after the as-of date
      search({
        search_id: 'K8',
        searched_at: '2026-04-16T10:00:00Z',
        officer_defined_ethnicity: 'White',
        object_of_search: 'Controlled drugs',
        outcome: 'Arrest',
        outcome_linked: true,
        ...inH1,
      }),
    ],
  },
}

describe('stop_search_monthly', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create(given)
  })
  afterAll(async () => {
    await lake.close()
  })

  it('counts searches, finds and arrests by month and group', async () => {
    // as a run without a population has it
    const rows = await lake.mart('stop_search_monthly', '2026-04-15', { population: null })
    expect(rows).toEqual([
      // February: K6 only (a find, not an arrest)
      expected('2026-02-01', 'all', 'all', 1, 1, 0),
      expected('2026-02-01', 'ethnicity', 'White', 1, 1, 0),
      expected('2026-02-01', 'hotspot', 'H1', 0, 0, 0),
      expected('2026-02-01', 'hotspot', 'H2', 0, 0, 0),
      expected('2026-02-01', 'object_of_search', 'Controlled drugs', 1, 1, 0),
      // March: K1 (find, Arrest), K2 (no find, NFA as of 15 April), K3 (find, Suspect arrested), K4 (link unknown)
      // all: 4 searches, finds K1 K3 = 2 (rate 2/4 = 0.5), arrests K1 K3 = 2 (0.5)
      expected('2026-03-01', 'all', 'all', 4, 2, 2),
      // Black: K2, K3: 1 find, 1 arrest of 2; Not stated: K4; White: K1
      expected('2026-03-01', 'ethnicity', 'Black', 2, 1, 1),
      expected('2026-03-01', 'ethnicity', 'Not stated', 1, 0, 0),
      expected('2026-03-01', 'ethnicity', 'White', 1, 1, 1),
      // H1: K1 and K2; K3 is outside, K4 has no location
      expected('2026-03-01', 'hotspot', 'H1', 2, 1, 1),
      expected('2026-03-01', 'hotspot', 'H2', 0, 0, 0),
      expected('2026-03-01', 'object_of_search', 'Controlled drugs', 2, 1, 1),
      expected('2026-03-01', 'object_of_search', 'Offensive weapons', 1, 1, 1),
      expected('2026-03-01', 'object_of_search', 'Stolen goods', 1, 0, 0),
      // April (through 15 April): K5 (00:30 BST on 1 April): an arrest, no find; K8 (16 April) not yet
      expected('2026-04-01', 'all', 'all', 1, 0, 1),
      expected('2026-04-01', 'ethnicity', 'Asian', 1, 0, 1),
      expected('2026-04-01', 'hotspot', 'H1', 1, 0, 1),
      expected('2026-04-01', 'hotspot', 'H2', 0, 0, 0),
      expected('2026-04-01', 'object_of_search', 'Controlled drugs', 1, 0, 1),
    ])
    // the rates as numbers, not only as the helper computes them: March all 2/4, Black 1/2
    expect(rows[5]).toMatchObject({ find_rate: 0.5, arrest_rate: 0.5 })
    expect(rows[6]).toMatchObject({ find_rate: 0.5, arrest_rate: 0.5 })
  })

  it('sees the corrected outcome and the later search as of a later date', async () => {
    const rows = await lake.mart('stop_search_monthly', '2026-04-20')
    const h1 = (month: string) =>
      rows.find((r) => r.month === month && r.group_type === 'hotspot' && r.group_value === 'H1')
    // K2 is now an arrest: H1 March K1 and K2 both arrests: 2 of 2
    expect(h1('2026-03-01')).toEqual(expected('2026-03-01', 'hotspot', 'H1', 2, 1, 2))
    // April: K5 and K8: finds 1 (K8), arrests 2
    expect(h1('2026-04-01')).toEqual(expected('2026-04-01', 'hotspot', 'H1', 2, 1, 2))
  })
})

describe('stop_search_monthly with a population loaded', () => {
  let lake: TestLake
  beforeAll(async () => {
    lake = await TestLake.create({
      ...given,
      population: [
        // the run's version (p-test), over two areas: White 600 + 400 = 1,000; Black 100;
        // Asian 40 + 10 = 50; Mixed 0
        { area_code: 'E1', ethnicity_group: 'White', residents: 600 },
        { area_code: 'E2', ethnicity_group: 'White', residents: 400 },
        { area_code: 'E1', ethnicity_group: 'Black', residents: 100 },
        { area_code: 'E1', ethnicity_group: 'Asian', residents: 40 },
        { area_code: 'E2', ethnicity_group: 'Asian', residents: 10 },
        { area_code: 'E1', ethnicity_group: 'Mixed', residents: 0 },
        // an older version, loaded before: used only by a run given it
        ...['White', 'Black', 'Asian'].map((group) => ({
          area_code: 'E1',
          ethnicity_group: group,
          residents: 7,
          population_version: 'p-old',
          loaded_at: '2025-06-01T00:00:00Z',
        })),
      ],
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('gives each group its searches per 1,000 residents and its rate ratio against White with a 95% CI', async () => {
    const rows = await lake.mart('stop_search_monthly', '2026-04-15')
    const row = (month: string, groupType: string, groupValue: string) =>
      rows.find((r) => r.month === month && r.group_type === groupType && r.group_value === groupValue)
    const unrated = {
      disproportionality: null,
      disproportionality_ci_low: null,
      disproportionality_ci_high: null,
    }
    // every row names the population used; only ethnicity rows have residents
    expect(new Set(rows.map((r) => r.population_version))).toEqual(new Set([POPULATION_VERSION]))
    expect(row('2026-03-01', 'all', 'all')).toMatchObject({
      residents: null,
      searches_per_1000: null,
      ...unrated,
    })
    // February, White (the reference): 1 search per 1,000 residents: 1000 x 1 / 1000 = 1
    expect(row('2026-02-01', 'ethnicity', 'White')).toMatchObject({
      residents: 1000,
      searches_per_1000: 1,
      ...unrated,
    })
    // March, Black: a = 2 searches of 100 residents, White b = 1 of 1,000:
    //   per 1,000: 1000 x 2 / 100 = 20; White 1000 x 1 / 1000 = 1; RR = 20 / 1 = 20
    //   SE of ln RR = sqrt(1/2 + 1/1) = sqrt(1.5) = 1.2247449; 1.96 SE = 2.4004999; ln 20 = 2.9957323
    //   low = exp(2.9957323 - 2.4004999) = exp(0.5952323) = 1.813452; high = exp(5.3962322) = 220.573775
    expect(row('2026-03-01', 'ethnicity', 'Black')).toMatchObject({
      searches: 2,
      residents: 100,
      searches_per_1000: 20,
      disproportionality: 20,
      disproportionality_ci_low: 1.813452,
      disproportionality_ci_high: 220.573775,
    })
    expect(row('2026-03-01', 'ethnicity', 'White')).toMatchObject({ searches_per_1000: 1, ...unrated })
    // Not stated has no population
    expect(row('2026-03-01', 'ethnicity', 'Not stated')).toMatchObject({
      residents: null,
      searches_per_1000: null,
      ...unrated,
    })
    // April, Asian: 1000 x 1 / 50 = 20 per 1,000, but no White search in April: no ratio (its log is undefined)
    expect(row('2026-04-01', 'ethnicity', 'Asian')).toMatchObject({
      residents: 50,
      searches_per_1000: 20,
      ...unrated,
    })
  })

  it('reads only the population version of the run, even an older one', async () => {
    const rows = await lake.mart('stop_search_monthly', '2026-04-15', { population: 'p-old' })
    const row = (month: string, groupType: string, groupValue: string) =>
      rows.find((r) => r.month === month && r.group_type === groupType && r.group_value === groupValue)
    expect(new Set(rows.map((r) => r.population_version))).toEqual(new Set(['p-old']))
    // March, Black: a = 2 searches of 7 residents, White b = 1 of 7: RR = (2 / 7) / (1 / 7) = 2
    expect(row('2026-03-01', 'ethnicity', 'Black')).toMatchObject({ residents: 7, disproportionality: 2 })
    expect(row('2026-03-01', 'ethnicity', 'White')).toMatchObject({ residents: 7 })
  })
})
