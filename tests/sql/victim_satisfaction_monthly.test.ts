import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cellCentre, rectangle, TestLake } from './harness.ts'
import { sixDecimals } from './rounding.ts'

/**
 * Given: hotspots H1 (cells 20000..20001 x 7000..7001), H2 (no surveys) and H3 (cell 20000 x 7000 alone: it
 * overlaps H1 on the cell of every H1 incident), incidents I1..I8 and surveys S1..S9.
 * z = 1.96, z^2 = 3.8416. Wilson for k of n: p = k/n, centre = (p + z^2/2n)/(1 + z^2/n),
 * half = z sqrt(p(1-p)/n + z^2/4n^2)/(1 + z^2/n). Hours are sent_at - reported_at (both UTC).
 *
 * March 2026 (as of 15 April), q_overall:
 *   S1 I1 Burglary   in H1   sent +2 h    answer 1  White       responded
 *   S2 I2 Robbery    in H1   sent +30 h   answer 2  White       responded  (I2 becomes Burglary on 20 April)
 *   S3 I3 Burglary   in H1   sent +5 h    answer 5  Asian       responded  (corrected to 1 on 20 April)
 *   S4 I4 Burglary   outside sent +10 h   answer 6  Black       responded
 *   S5 I5 Vehicle    outside sent +24 h   answer 7  Black       responded  (24 h exactly: within 24 h)
 *   S6 I6 Burglary   outside (police.uk, month precision: no time to survey)  answer 3  not stated  responded
 *   S7 unknown incident (not in the lake)     no answer   Asian       not responded
 * April: S8 sent 23:30 UTC on 31 March = 00:30 BST on 1 April (I8 in H1, +3.5 h, answer 3, White);
 *   S9 sent 18 April (after the first as-of date).
 */
const inH1 = cellCentre(20_000, 7_000)
const outside = cellCentre(20_100, 7_100)

const survey = (row: Record<string, string | number | null>) => ({
  q_ease: null,
  q_actions: null,
  q_informed: null,
  q_treatment: null,
  q_overall: null,
  ethnicity_group: null,
  age_band: null,
  ...row,
})

describe('victim_satisfaction_monthly', () => {
  let lake: TestLake
  let rows: Record<string, unknown>[]
  const row = (month: string, groupType: string, groupValue: string, question = 'q_overall') => {
    const found = rows.find(
      (r) =>
        r.month === month &&
        r.group_type === groupType &&
        r.group_value === groupValue &&
        r.question === question,
    )
    if (!found) throw new Error(`no row ${month} ${groupType} ${groupValue} ${question}`)
    return found
  }

  beforeAll(async () => {
    lake = await TestLake.create({
      area_cells: [
        ...rectangle('H1', 'hotspot', 20_000, 7_000, 2, 2),
        ...rectangle('H2', 'hotspot', 21_000, 8_000, 1, 1),
        ...rectangle('H3', 'hotspot', 20_000, 7_000, 1, 1),
      ],
      feeds: {
        incidents: [
          { incident_id: 'I1', reported_at: '2026-03-02T10:00:00Z', crime_type: 'Burglary', ...inH1 },
          { incident_id: 'I2', reported_at: '2026-03-05T09:00:00Z', crime_type: 'Robbery', ...inH1 },
          {
            incident_id: 'I2',
            reported_at: '2026-03-05T09:00:00Z',
            crime_type: 'Burglary',
            ...inH1,
            drop_date: '2026-04-20',
          },
          { incident_id: 'I3', reported_at: '2026-03-10T12:00:00Z', crime_type: 'Burglary', ...inH1 },
          { incident_id: 'I4', reported_at: '2026-03-12T08:00:00Z', crime_type: 'Burglary', ...outside },
          { incident_id: 'I5', reported_at: '2026-03-15T00:00:00Z', crime_type: 'Vehicle crime', ...outside },
          {
            incident_id: 'I6',
            reported_at: '2026-03-01T00:00:00Z',
            period_precision: 'month',
            crime_type: 'Burglary',
            ...outside,
          },
          {
            incident_id: 'I8',
            reported_at: '2026-03-31T20:00:00Z',
            crime_type: 'Violence and sexual offences',
            ...inH1,
          },
        ],
        survey_responses: [
          survey({
            response_id: 'S1',
            incident_id: 'I1',
            sent_at: '2026-03-02T12:00:00Z',
            responded_at: '2026-03-02T13:00:00Z',
            q_ease: 4,
            q_overall: 1,
            ethnicity_group: 'White',
          }),
          survey({
            response_id: 'S2',
            incident_id: 'I2',
            sent_at: '2026-03-06T15:00:00Z',
            responded_at: '2026-03-06T16:00:00Z',
            q_ease: 1,
            q_overall: 2,
            ethnicity_group: 'White',
          }),
          survey({
            response_id: 'S3',
            incident_id: 'I3',
            sent_at: '2026-03-10T17:00:00Z',
            responded_at: '2026-03-11T09:00:00Z',
            q_overall: 5,
            ethnicity_group: 'Asian',
          }),
          survey({
            response_id: 'S3',
            incident_id: 'I3',
            sent_at: '2026-03-10T17:00:00Z',
            responded_at: '2026-03-11T09:00:00Z',
            q_overall: 1,
            ethnicity_group: 'Asian',
            drop_date: '2026-04-20',
          }),
          survey({
            response_id: 'S4',
            incident_id: 'I4',
            sent_at: '2026-03-12T18:00:00Z',
            responded_at: '2026-03-12T19:00:00Z',
            q_overall: 6,
            ethnicity_group: 'Black',
          }),
          survey({
            response_id: 'S5',
            incident_id: 'I5',
            sent_at: '2026-03-16T00:00:00Z',
            responded_at: '2026-03-16T08:00:00Z',
            q_overall: 7,
            ethnicity_group: 'Black',
          }),
          survey({
            response_id: 'S6',
            incident_id: 'I6',
            sent_at: '2026-03-20T10:00:00Z',
            responded_at: '2026-03-20T11:00:00Z',
            q_overall: 3,
            // blank at source: the ingest stores text trimmed and blank as null (contracts.test.ts), so the lake
            // holds null here, which the mart shows as 'Not stated'
            ethnicity_group: null,
          }),
          survey({
            response_id: 'S7',
            incident_id: 'I-unknown',
            sent_at: '2026-03-25T10:00:00Z',
            ethnicity_group: 'Asian',
          }),
          survey({
            response_id: 'S8',
            incident_id: 'I8',
            sent_at: '2026-03-31T23:30:00Z',
            responded_at: '2026-04-01T08:00:00Z',
            q_overall: 3,
            ethnicity_group: 'White',
          }),
          survey({
            response_id: 'S9',
            incident_id: 'I4',
            sent_at: '2026-04-18T09:00:00Z',
            responded_at: '2026-04-18T10:00:00Z',
            q_overall: 7,
            ethnicity_group: 'Black',
          }),
        ],
      },
    })
    rows = await lake.mart('victim_satisfaction_monthly', '2026-04-15')
  })
  afterAll(async () => {
    await lake.close()
  })

  it('has every question for all, every hotspot and the hotspots together each month, other groups where they have surveys', () => {
    const groups = [...new Set(rows.map((r) => `${r.month} ${r.group_type} ${r.group_value}`))]
    expect(groups).toEqual([
      '2026-03-01 age_band Not stated',
      '2026-03-01 all all',
      '2026-03-01 crime_type Burglary',
      '2026-03-01 crime_type Robbery', // I2's correction to Burglary was dropped after 15 April
      '2026-03-01 crime_type Unknown', // S7's incident is not in the lake
      '2026-03-01 crime_type Vehicle crime',
      '2026-03-01 ethnicity_group Asian',
      '2026-03-01 ethnicity_group Black',
      '2026-03-01 ethnicity_group Not stated', // S6's blank ethnicity
      '2026-03-01 ethnicity_group White',
      '2026-03-01 hotspot H1',
      '2026-03-01 hotspot H2',
      '2026-03-01 hotspot H3',
      '2026-03-01 hotspots all',
      // S8, sent 00:30 BST on 1 April, is April's; S9 (18 April) is after the as-of date
      '2026-04-01 age_band Not stated',
      '2026-04-01 all all',
      '2026-04-01 crime_type Violence and sexual offences',
      '2026-04-01 ethnicity_group White',
      '2026-04-01 hotspot H1',
      '2026-04-01 hotspot H2',
      '2026-04-01 hotspot H3',
      '2026-04-01 hotspots all',
    ])
    // 14 groups in March and 8 in April, 5 questions each
    expect(rows).toHaveLength((14 + 8) * 5)
  })

  it('counts, response rate, an interior Wilson interval and the median of an odd count for all', () => {
    // S1..S7 sent; S7 unanswered: 6/7 responded. q_overall answers 1,2,5,6,7,3: 6 valid, 3 satisfied (1, 2, 3).
    // Wilson p = 1/2, n = 6: centre = (0.5 + 3.8416/12) / (1 + 3.8416/6) = 0.5 exactly;
    // half = 1.96 sqrt(0.25/6 + 3.8416/144) / 1.6402666667 = 1.96 sqrt(0.0683444444) / 1.6402666667
    //      = 1.96 x 0.2614277040 / 1.6402666667 = 0.5123982999 / 1.6402666667 = 0.3123871931
    // so 18.76128068994 .. 81.23871931006 percent.
    // Hours: S1 2, S2 30, S3 5, S4 10, S5 24 (S6 month precision, S7 unknown incident): sorted 2 5 10 24 30,
    // median 10; within 24 h: 2, 5, 10, 24 = 4 of 5.
    expect(row('2026-03-01', 'all', 'all')).toEqual({
      month: '2026-03-01',
      group_type: 'all',
      group_value: 'all',
      question: 'q_overall',
      n_sent: 7,
      n_open: 0, // every March window closed by 3 April
      n_closed: 7,
      n_responded: 6,
      response_rate: sixDecimals(6 / 7),
      n_valid: 6,
      n_satisfied: 3,
      pct_satisfied: 50,
      ci_low: sixDecimals(18.76128068994),
      ci_high: sixDecimals(81.23871931006),
      diff_vs_rest: null,
      diff_ci_low: null,
      diff_ci_high: null,
      median_hours_to_survey: 10,
      share_within_24h: 0.8,
    })
    // q_ease: S1 4 (not satisfied), S2 1: 1 of 2 valid; the same surveys sent
    expect(row('2026-03-01', 'all', 'all', 'q_ease')).toMatchObject({
      n_sent: 7,
      n_responded: 6,
      n_valid: 2,
      n_satisfied: 1,
      pct_satisfied: 50,
    })
  })

  it('compares a hotspot with the rest of the month (Newcombe) and takes its median hours', () => {
    // H1: S1, S2, S3 answers 1, 2, 5: 2 of 3 = 66.667%. Rest: S4 6, S5 7, S6 3: 1 of 3 = 33.333%.
    // Wilson 2 of 3: 1 + z^2/n = 1 + 3.8416/3 = 2.2805333333; centre = (2/3 + 3.8416/6) / 2.2805333333
    //   = 1.3069333333 / 2.2805333333 = 0.5730823199; half = 1.96 sqrt(2/9/3 + 3.8416/36) / 2.2805333333
    //   = 1.96 sqrt(0.1807851852) / 2.2805333333 = 1.96 x 0.4251884114 / 2.2805333333 = 0.3654273648
    //   -> l1 = 20.76549551265, u1 = 93.85096847238.
    // Wilson 1 of 3 is its mirror image: l2 = 100 - u1 = 6.14903152762, u2 = 100 - l1 = 79.23450448735.
    // d = 66.667 - 33.333 = 33.33333333333;
    // low = d - sqrt((66.667 - 20.765)^2 + (79.235 - 33.333)^2) = d - sqrt(2) x 45.90117115402 = -31.58072544149
    // high = d + sqrt((93.851 - 66.667)^2 + (33.333 - 6.149)^2) = d + sqrt(2) x 27.18430180572 = 71.77774163062
    // Hours 2, 30, 5: median 5; within 24 h 2 of 3.
    expect(row('2026-03-01', 'hotspot', 'H1')).toEqual({
      month: '2026-03-01',
      group_type: 'hotspot',
      group_value: 'H1',
      question: 'q_overall',
      n_sent: 3,
      n_open: 0,
      n_closed: 3,
      n_responded: 3,
      response_rate: 1,
      n_valid: 3,
      n_satisfied: 2,
      pct_satisfied: sixDecimals(200 / 3),
      ci_low: sixDecimals(20.76549551265),
      ci_high: sixDecimals(93.85096847238),
      diff_vs_rest: sixDecimals(33.33333333333),
      diff_ci_low: sixDecimals(-31.58072544149),
      diff_ci_high: sixDecimals(71.77774163062),
      median_hours_to_survey: 5,
      share_within_24h: sixDecimals(2 / 3),
    })
    // H2 has no survey: zeros, and nothing to rate
    expect(row('2026-03-01', 'hotspot', 'H2')).toMatchObject({
      n_sent: 0,
      n_responded: 0,
      response_rate: null,
      n_valid: 0,
      n_satisfied: 0,
      pct_satisfied: null,
      ci_low: null,
      ci_high: null,
      diff_vs_rest: null,
      median_hours_to_survey: null,
      share_within_24h: null,
    })
  })

  it('counts a survey in two overlapping hotspots once for the hotspots together', () => {
    // S1, S2, S3 lie in H1 and in H3 (their cell is in both): each is one survey of the hotspots together, so
    // March is H1's figures again: 3 sent, answers 1, 2, 5: 2 of 3 (counted twice it would be 4 of 6), with
    // H1's hand-worked Wilson 2 of 3: 20.76549551265 .. 93.85096847238.
    // The rest is every survey outside the hotspots, S4 6, S5 7, S6 3 (S7's incident is unknown: in no hotspot):
    // 1 of 3, so the difference is H1's too: d = 33.33333333333, -31.58072544149 .. 71.77774163062.
    // Hours S1 2, S2 30, S3 5: median 5; within 24 h 2 of 3.
    expect(row('2026-03-01', 'hotspots', 'all')).toEqual({
      month: '2026-03-01',
      group_type: 'hotspots',
      group_value: 'all',
      question: 'q_overall',
      n_sent: 3,
      n_open: 0,
      n_closed: 3,
      n_responded: 3,
      response_rate: 1,
      n_valid: 3,
      n_satisfied: 2,
      pct_satisfied: sixDecimals(200 / 3),
      ci_low: sixDecimals(20.76549551265),
      ci_high: sixDecimals(93.85096847238),
      diff_vs_rest: sixDecimals(33.33333333333),
      diff_ci_low: sixDecimals(-31.58072544149),
      diff_ci_high: sixDecimals(71.77774163062),
      median_hours_to_survey: 5,
      share_within_24h: sixDecimals(2 / 3),
    })
    // each hotspot still counts the surveys in its cells: H3 has the same three
    expect(row('2026-03-01', 'hotspot', 'H3')).toMatchObject({ n_sent: 3, n_valid: 3, n_satisfied: 2 })
    // April: S8 (I8 in H1 and H3), answer 3: 1 of 1, once. Wilson 1 of 1: upper exactly 100, lower
    // n / (n + z^2) = 1 / 4.8416 = 20.65432914739%; nobody else answered in April: no difference
    expect(row('2026-04-01', 'hotspots', 'all')).toMatchObject({
      n_sent: 1,
      n_valid: 1,
      n_satisfied: 1,
      pct_satisfied: 100,
      ci_low: sixDecimals(20.65432914739),
      ci_high: 100,
      diff_vs_rest: null,
    })
  })

  it('bounds the Wilson interval exactly at 0% and 100%, and takes the median of an even count', () => {
    // White: S1 1, S2 2: 2 of 2 = 100%. Upper exactly 100; lower = n / (n + z^2) = 2 / 5.8416 = 34.23719528896%.
    // Rest: S3 5, S4 6, S5 7, S6 3: 1 of 4; Hours 2 and 30: median (2 + 30) / 2 = 16; within 24 h 1 of 2.
    const white = row('2026-03-01', 'ethnicity_group', 'White')
    expect(white).toMatchObject({ n_valid: 2, n_satisfied: 2, pct_satisfied: 100, ci_high: 100 })
    expect(white.ci_low).toBe(sixDecimals(34.23719528896))
    expect(white.median_hours_to_survey).toBe(16)
    expect(white.share_within_24h).toBe(0.5)
    // Black: S4 6, S5 7: 0 of 2. Lower exactly 0; upper = z^2 / (n + z^2) = 3.8416 / 5.8416 = 65.76280471104%.
    // Hours 10 and 24 (24 counts as within): median 17, share 1.
    const black = row('2026-03-01', 'ethnicity_group', 'Black')
    expect(black).toMatchObject({ n_valid: 2, n_satisfied: 0, pct_satisfied: 0, ci_low: 0 })
    expect(black.ci_high).toBe(sixDecimals(65.76280471104))
    expect(black.median_hours_to_survey).toBe(17)
    expect(black.share_within_24h).toBe(1)
    // Robbery: S2 alone, 1 of 1: 100 .. lower 1 / 4.8416 = 20.65432914739%; Vehicle crime: S5, 0 of 1: 0 .. 79.34567085261%
    expect(row('2026-03-01', 'crime_type', 'Robbery')).toMatchObject({ ci_high: 100 })
    expect(row('2026-03-01', 'crime_type', 'Robbery').ci_low).toBe(sixDecimals(20.65432914739))
    expect(row('2026-03-01', 'crime_type', 'Vehicle crime')).toMatchObject({ ci_low: 0 })
    expect(row('2026-03-01', 'crime_type', 'Vehicle crime').ci_high).toBe(sixDecimals(79.34567085261))
  })

  it('leaves the difference empty when either side has no valid answer', () => {
    // Unknown (S7): sent, not answered: no valid answer of its own
    expect(row('2026-03-01', 'crime_type', 'Unknown')).toMatchObject({
      n_sent: 1,
      n_responded: 0,
      response_rate: 0,
      n_valid: 0,
      pct_satisfied: null,
      diff_vs_rest: null,
      diff_ci_low: null,
      diff_ci_high: null,
      median_hours_to_survey: null, // its incident is unknown
    })
    // Age band not stated is every survey of the month: the rest has no valid answer
    expect(row('2026-03-01', 'age_band', 'Not stated')).toMatchObject({
      n_sent: 7,
      n_valid: 6,
      diff_vs_rest: null,
      diff_ci_low: null,
      diff_ci_high: null,
    })
    // S6's incident has month precision only: no time to survey for its group
    expect(row('2026-03-01', 'ethnicity_group', 'Not stated')).toMatchObject({
      n_sent: 1,
      median_hours_to_survey: null,
      share_within_24h: null,
    })
  })

  it('puts a survey sent 23:30 UTC on 31 March (00:30 BST) in April', () => {
    // S8: I8 reported 20:00 UTC, sent 23:30 UTC: 3.5 hours; answer 3: 1 of 1
    expect(row('2026-04-01', 'hotspot', 'H1')).toMatchObject({
      n_sent: 1,
      n_valid: 1,
      n_satisfied: 1,
      pct_satisfied: 100,
      ci_high: 100,
      diff_vs_rest: null, // no one else answered in April
      median_hours_to_survey: 3.5,
      share_within_24h: 1,
    })
    expect(row('2026-04-01', 'all', 'all')).toMatchObject({ n_sent: 1 })
  })

  it('sees the versions dropped by a later as-of date', async () => {
    const later = await lake.mart('victim_satisfaction_monthly', '2026-04-20')
    const at = (month: string, groupType: string, groupValue: string) =>
      later.find(
        (r) =>
          r.month === month &&
          r.group_type === groupType &&
          r.group_value === groupValue &&
          r.question === 'q_overall',
      )
    // S3 corrected to 1: H1 answers 1, 2, 1: 3 of 3
    expect(at('2026-03-01', 'hotspot', 'H1')).toMatchObject({ n_valid: 3, n_satisfied: 3, ci_high: 100 })
    // I2 is now Burglary: S1 1, S2 2, S3 1, S4 6, S6 3: 4 of 5; no Robbery group is left
    expect(at('2026-03-01', 'crime_type', 'Burglary')).toMatchObject({
      n_sent: 5,
      n_valid: 5,
      n_satisfied: 4,
    })
    expect(at('2026-03-01', 'crime_type', 'Robbery')).toBeUndefined()
    // S9 (sent 09:00 UTC on 18 April, answered 7) is now sent, but its window ends 21 April: open, so April's
    // figures are still S8's alone (3: 1 of 1)
    expect(at('2026-04-01', 'all', 'all')).toMatchObject({
      n_sent: 2,
      n_open: 1,
      n_closed: 1,
      n_responded: 1,
      n_valid: 1,
      n_satisfied: 1,
    })
  })
})

describe('victim_satisfaction_monthly: the ends of the Wilson interval', () => {
  let lake: TestLake
  beforeAll(async () => {
    // 0 of 5 (group A) and 6 of 6 (group B): sizes at which the textbook formula misses 0 and 100 by a
    // rounding error (about 3e-15 and 1e-14): the mart must give the exact ends
    const answers: [string, number][] = [
      ...Array.from({ length: 5 }, (): [string, number] => ['A', 7]),
      ...Array.from({ length: 6 }, (): [string, number] => ['B', 1]),
    ]
    lake = await TestLake.create({
      feeds: {
        survey_responses: answers.map(([group, answer], i) =>
          survey({
            response_id: `W${i}`,
            incident_id: `WI${i}`,
            sent_at: `2026-05-${String(i + 1).padStart(2, '0')}T12:00:00Z`,
            responded_at: `2026-05-${String(i + 1).padStart(2, '0')}T13:00:00Z`,
            q_overall: answer,
            ethnicity_group: group,
          }),
        ),
      },
    })
  })
  afterAll(async () => {
    await lake.close()
  })

  it('is exactly 0 at 0% and exactly 100 at 100%', async () => {
    const rows = await lake.mart('victim_satisfaction_monthly', '2026-05-31')
    const group = (value: string) =>
      rows.find((r) => r.group_value === value && r.question === 'q_overall') as Record<string, unknown>
    // A: 0 of 5: lower 0; upper = z^2 / (n + z^2) = 3.8416 / 8.8416 = 43.44914947521%
    expect(group('A')).toMatchObject({ n_valid: 5, n_satisfied: 0, pct_satisfied: 0, ci_low: 0 })
    expect(group('A').ci_high).toBe(sixDecimals(43.44914947521))
    // B: 6 of 6: upper 100; lower = n / (n + z^2) = 6 / 9.8416 = 60.96569663469%
    expect(group('B')).toMatchObject({ n_valid: 6, n_satisfied: 6, pct_satisfied: 100, ci_high: 100 })
    expect(group('B').ci_low).toBe(sixDecimals(60.96569663469))
    // the difference from the rest: A 0% vs B 100%: d = -100; low = -100 - sqrt(0^2 + (100 - 100)^2) = -100,
    // high = -100 + sqrt((43.449 - 0)^2 + (100 - 60.966)^2)
    //      = -100 + sqrt(1887.82859 + 1523.67684) = -100 + sqrt(3411.50543) = -100 + 58.40809 = -41.59191
    expect(group('A').diff_vs_rest).toBe(-100)
    expect(group('A').diff_ci_low).toBe(-100)
    expect(group('A').diff_ci_high).toBeCloseTo(-41.59191, 5)
  })
})

describe('victim_satisfaction_monthly: time to survey to the millisecond, the exact median, text as stored', () => {
  /*
   * Hours to survey come from date_diff('millisecond', ...) (whole seconds are counted elapsed by Trino and as
   * boundaries crossed by DuckDB), the median is exact on both engines (approx_percentile was approximate on
   * Trino), and 24 h exactly is within 24 h while 24 h + 1 ms is not. June 2026, as of 30 June:
   *   S1  I1 reported 10:00:00.000 1 June, sent 10:00:00.000 2 June    86 400 000 ms = 24 h        within   White
   *   S2  I2 reported 10:00:00.000 3 June, sent 10:00:00.001 4 June    86 400 001 ms = 24.00000028 not      "\tWhite\n"
   *   S3  I3 reported 10:00:00.900 5 June, sent 11:00:00.100 5 June     3 599 200 ms = 0.99977778  within   White
   *       (whole seconds: 3599 on Trino, 3600 on DuckDB)
   *   S4  I4 reported 10:00 6 June, sent 10:30 6 June                   1 800 000 ms = 0.5 h       within   null
   * all: sorted 0.5, 0.99977778, 24, 24.00000028: an even count, median = (0.99977778 + 24) / 2 = 12.49988889
   *   -> 12.499889 (6 decimals); within 24 h 3 of 4 = 0.75.
   * Ethnicity "\tWhite\n": the ingest never stores it (text is cleaned at ingest: contracts.test.ts), but this
   * harness writes Parquet directly. The mart takes group values as stored, with no trim (Trino's trim would
   * remove the tab and newline, DuckDB's would not), so it stays a group of its own on both engines; White is
   * S1 and S3 only, and S4's null ethnicity is 'Not stated'.
   */
  let lake: TestLake
  let rows: Record<string, unknown>[]
  const row = (groupType: string, groupValue: string) => {
    const found = rows.find(
      (r) =>
        r.month === '2026-06-01' &&
        r.group_type === groupType &&
        r.group_value === groupValue &&
        r.question === 'q_overall',
    )
    if (!found) throw new Error(`no row ${groupType} ${JSON.stringify(groupValue)}`)
    return found
  }
  beforeAll(async () => {
    const incident = (id: string, reportedAt: string) => ({
      incident_id: id,
      reported_at: reportedAt,
      crime_type: 'Burglary',
      ...outside,
    })
    lake = await TestLake.create({
      area_cells: rectangle('H1', 'hotspot', 20_000, 7_000, 1, 1),
      feeds: {
        incidents: [
          incident('I1', '2026-06-01T10:00:00.000Z'),
          incident('I2', '2026-06-03T10:00:00.000Z'),
          incident('I3', '2026-06-05T10:00:00.900Z'),
          incident('I4', '2026-06-06T10:00:00.000Z'),
        ],
        survey_responses: [
          survey({
            response_id: 'S1',
            incident_id: 'I1',
            sent_at: '2026-06-02T10:00:00.000Z',
            ethnicity_group: 'White',
          }),
          survey({
            response_id: 'S2',
            incident_id: 'I2',
            sent_at: '2026-06-04T10:00:00.001Z',
            ethnicity_group: '\tWhite\n',
          }),
          survey({
            response_id: 'S3',
            incident_id: 'I3',
            sent_at: '2026-06-05T11:00:00.100Z',
            ethnicity_group: 'White',
          }),
          survey({ response_id: 'S4', incident_id: 'I4', sent_at: '2026-06-06T10:30:00.000Z' }),
        ],
      },
    })
    rows = await lake.mart('victim_satisfaction_monthly', '2026-06-30')
  })
  afterAll(async () => {
    await lake.close()
  })

  it('takes the exact median of an even count and counts 24 h as within, 24 h + 1 ms as not', () => {
    expect(row('all', 'all')).toMatchObject({
      n_sent: 4,
      median_hours_to_survey: 12.499889,
      share_within_24h: 0.75,
    })
  })

  it('keeps group values as stored: no trim in SQL', () => {
    const ethnicities = rows
      .filter((r) => r.group_type === 'ethnicity_group' && r.question === 'q_overall')
      .map((r) => r.group_value)
      .sort()
    expect(ethnicities).toEqual(['\tWhite\n', 'Not stated', 'White'])
    // White: S1 24 h and S3 0.99977778 h: median (0.99977778 + 24) / 2 = 12.499889, both within
    expect(row('ethnicity_group', 'White')).toMatchObject({
      n_sent: 2,
      median_hours_to_survey: 12.499889,
      share_within_24h: 1,
    })
    // "\tWhite\n": S2 alone, 24.00000028 h -> 24 at 6 decimals, not within 24 h
    expect(row('ethnicity_group', '\tWhite\n')).toMatchObject({
      n_sent: 1,
      median_hours_to_survey: 24,
      share_within_24h: 0,
    })
    expect(row('ethnicity_group', 'Not stated')).toMatchObject({
      n_sent: 1,
      median_hours_to_survey: 0.5,
      share_within_24h: 1,
    })
  })
})

describe('victim_satisfaction_monthly: closed cohorts (the 72 h response window)', () => {
  /*
   * October 2026 (GMT from 25 October, so London = UTC at the month end). A survey's window is 72 h from sent_at;
   * it is closed as of D when the window ends on a London day on or before D. A response counts when it is
   * received inside the window (72 h exactly included); a later one, and its answers, never count.
   *   C1 sent 5 Oct 10:00, answered 12:00 (q_overall 1)       closed, responded   I1 reported 04:00: 6 h
   *   C2 sent 10 Oct 10:00, no answer by 31 Oct               closed              I2 reported 9 Oct 10:00: 24 h
   *      (an answer on 2 November, 3 weeks late, arrives later: it never counts)
   *   C3 sent 20 Oct 10:00, answered 23 Oct 09:59 (6)         closed, responded
   *   C4 sent 28 Oct 23:59:59, no answer: the window ends 31 Oct 23:59:59 GMT, the last second of the as-of day
   *   C5 sent 15 Oct 10:00, answered 72 h + 1 ms later (1)    closed, not responded (its answer is not counted)
   *   C6 sent 16 Oct 10:00, answered 72 h exactly later (2)   closed, responded
   *   O1 sent 29 Oct 00:00, answered 01:00 (1)                open: the window ends 1 Nov 00:00   I3: 12 h
   *   O2 sent 30 Oct 12:00, no answer by 31 Oct               open (answered 1 Nov 09:00, 7)
   *   O3 sent 31 Oct 20:00, no answer by 31 Oct               open (answered 3 Nov 19:00, 3)
   * As of 31 October: n_sent 9, n_open 3 (O1 O2 O3), n_closed 6; n_responded C1 C3 C6 = 3: rate 3 / 6 = 0.5
   * (not 5 / 9, which counts O1's early answer and C5's late one, and leaves out of the denominator only the
   * open surveys nobody has answered yet). q_overall over the closed: C1 1, C3 6, C6 2: 2 of 3 satisfied.
   * Time to survey over the closed with a known incident: C1 6 h, C2 24 h: median 15, both within 24 h (O1's
   * 12 h would make the median 12).
   * As of 7 November (every window closed): n_sent 9, n_open 0, n_closed 9; n_responded C1 C3 C6 O1 O2 O3 = 6
   * (C2's late answer is not one): 6 / 9; q_overall C1 1, C3 6, C6 2, O1 1, O2 7, O3 3: 4 of 6.
   */
  let lake: TestLake
  let monthEnd: Record<string, unknown>[]
  let weekLater: Record<string, unknown>[]
  const all = (rows: Record<string, unknown>[], question = 'q_overall') => {
    const found = rows.find(
      (r) => r.month === '2026-10-01' && r.group_type === 'all' && r.question === question,
    )
    if (!found) throw new Error(`no October row for ${question}`)
    return found
  }
  beforeAll(async () => {
    const incident = (id: string, reportedAt: string) => ({
      incident_id: id,
      reported_at: reportedAt,
      crime_type: 'Burglary',
      ...outside,
    })
    lake = await TestLake.create({
      feeds: {
        incidents: [
          incident('I1', '2026-10-05T04:00:00Z'),
          incident('I2', '2026-10-09T10:00:00Z'),
          incident('I3', '2026-10-28T12:00:00Z'),
        ],
        survey_responses: [
          survey({
            response_id: 'C1',
            incident_id: 'I1',
            sent_at: '2026-10-05T10:00:00Z',
            responded_at: '2026-10-05T12:00:00Z',
            q_overall: 1,
          }),
          survey({ response_id: 'C2', incident_id: 'I2', sent_at: '2026-10-10T10:00:00Z' }),
          survey({
            response_id: 'C2',
            incident_id: 'I2',
            sent_at: '2026-10-10T10:00:00Z',
            responded_at: '2026-11-02T10:00:00Z',
            q_overall: 1,
            drop_date: '2026-11-02',
          }),
          survey({
            response_id: 'C3',
            incident_id: 'IX3',
            sent_at: '2026-10-20T10:00:00Z',
            responded_at: '2026-10-23T09:59:00Z',
            q_overall: 6,
          }),
          survey({ response_id: 'C4', incident_id: 'IX4', sent_at: '2026-10-28T23:59:59Z' }),
          survey({
            response_id: 'C5',
            incident_id: 'IX5',
            sent_at: '2026-10-15T10:00:00Z',
            responded_at: '2026-10-18T10:00:00.001Z',
            q_overall: 1,
          }),
          survey({
            response_id: 'C6',
            incident_id: 'IX6',
            sent_at: '2026-10-16T10:00:00Z',
            responded_at: '2026-10-19T10:00:00Z',
            q_overall: 2,
          }),
          survey({
            response_id: 'O1',
            incident_id: 'I3',
            sent_at: '2026-10-29T00:00:00Z',
            responded_at: '2026-10-29T01:00:00Z',
            q_overall: 1,
          }),
          survey({ response_id: 'O2', incident_id: 'IX7', sent_at: '2026-10-30T12:00:00Z' }),
          survey({
            response_id: 'O2',
            incident_id: 'IX7',
            sent_at: '2026-10-30T12:00:00Z',
            responded_at: '2026-11-01T09:00:00Z',
            q_overall: 7,
            drop_date: '2026-11-01',
          }),
          survey({ response_id: 'O3', incident_id: 'IX8', sent_at: '2026-10-31T20:00:00Z' }),
          survey({
            response_id: 'O3',
            incident_id: 'IX8',
            sent_at: '2026-10-31T20:00:00Z',
            responded_at: '2026-11-03T19:00:00Z',
            q_overall: 3,
            drop_date: '2026-11-03',
          }),
        ],
      },
    })
    monthEnd = await lake.mart('victim_satisfaction_monthly', '2026-10-31')
    weekLater = await lake.mart('victim_satisfaction_monthly', '2026-11-07')
  })
  afterAll(async () => {
    await lake.close()
  })

  it('rates only the surveys whose window closed by the end of as_of, and counts the open ones', () => {
    expect(all(monthEnd)).toMatchObject({
      n_sent: 9,
      n_open: 3,
      n_closed: 6,
      n_responded: 3,
      response_rate: 0.5,
      n_valid: 3,
      n_satisfied: 2,
      pct_satisfied: sixDecimals(200 / 3),
      median_hours_to_survey: 15,
      share_within_24h: 1,
    })
  })

  it('sees the open surveys close a week later, with their answers but not a late one', () => {
    expect(all(weekLater)).toMatchObject({
      n_sent: 9,
      n_open: 0,
      n_closed: 9,
      n_responded: 6,
      response_rate: sixDecimals(6 / 9),
      n_valid: 6,
      n_satisfied: 4,
    })
  })

  it("gives at the month end the rate seen a week later, within the month end's open count", () => {
    // For every group and question of October: the surveys closed at the month end are still closed, with the
    // same responses; the open ones have joined them, and at most all of them answered. So the later rate lies
    // between n_responded / (n_closed + n_open) and (n_responded + n_open) / (n_closed + n_open) of the month end.
    const october = monthEnd.filter((r) => r.month === '2026-10-01')
    expect(october.length).toBeGreaterThan(0)
    for (const before of october) {
      const after = weekLater.find(
        (r) =>
          r.month === before.month &&
          r.group_type === before.group_type &&
          r.group_value === before.group_value &&
          r.question === before.question,
      )
      const label = `${before.group_type} ${before.group_value} ${before.question}`
      if (!after) throw new Error(`no later row for ${label}`)
      const open = Number(before.n_open)
      const closed = Number(before.n_closed)
      const responded = Number(before.n_responded)
      expect(after.n_closed, label).toBe(closed + open)
      expect(Number(after.n_responded), label).toBeGreaterThanOrEqual(responded)
      expect(Number(after.n_responded), label).toBeLessThanOrEqual(responded + open)
      expect(Number(after.response_rate), label).toBeGreaterThanOrEqual(responded / (closed + open) - 1e-6)
      expect(Number(after.response_rate), label).toBeLessThanOrEqual(
        (responded + open) / (closed + open) + 1e-6,
      )
    }
  })
})
