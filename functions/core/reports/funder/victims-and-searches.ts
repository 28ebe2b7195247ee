/**
 * The funder report's force-wide tables: victim satisfaction by question (with the hotspots' overall figure
 * first) and survey response, and stop and search outcomes by the ethnicity the officer recorded, with the rate
 * ratio against White when a population is loaded. Disclosure-controlled like every table of the report.
 */
import type { MartRow } from '../model.ts'
import { type DisclosureCell, type DisclosureRow, discloseTable } from './disclosure.ts'
import { type Ctx, col, count, num, type TableView, view, withInterval } from './tables.ts'

const QUESTIONS: [string, string][] = [
  ['q_overall', 'Overall'],
  ['q_ease', 'Ease of contact'],
  ['q_actions', 'Actions taken'],
  ['q_informed', 'Kept informed'],
  ['q_treatment', 'Treatment'],
]

export function satisfactionViews(c: Ctx): { satisfaction: TableView; response: TableView | undefined } {
  const { input, fm, month } = c
  const surveyAll = input.rows.victim_satisfaction_monthly.filter(
    (r) => r.month === month && r.group_type === 'all' && r.group_value === 'all',
  )
  const pctCells = (
    value: number | null,
    low: number | null,
    high: number | null,
    satisfied: number | null,
    valid: number | null,
  ): DisclosureCell[] => {
    const fraction = (columnName: string, v: number | null): DisclosureCell => ({
      column: columnName,
      kind: 'percent',
      value: v,
      numerator: satisfied,
      denominator: valid,
      basis: ['answers'],
    })
    return [
      fraction('pct', value),
      fraction('ci_low', low),
      fraction('ci_high', high),
      count('answers', valid),
    ]
  }
  const hotspotOverall = fm('q_overall_pct_satisfied')
  const satisfactionRows: DisclosureRow[] = [
    {
      key: 'hotspots_q_overall',
      label: 'Overall, victims of incidents in the hotspots',
      cells: pctCells(
        num(hotspotOverall, 'value'),
        num(fm('q_overall_ci_low'), 'value'),
        num(fm('q_overall_ci_high'), 'value'),
        num(hotspotOverall, 'numerator'),
        num(hotspotOverall, 'denominator'),
      ),
    },
  ]
  for (const [question, label] of QUESTIONS) {
    const r = surveyAll.find((s) => s.question === question)
    if (!r) continue
    satisfactionRows.push({
      key: `force_${question}`,
      label: `${label}, all victims surveyed`,
      cells: pctCells(
        num(r, 'pct_satisfied'),
        num(r, 'ci_low'),
        num(r, 'ci_high'),
        num(r, 'n_satisfied'),
        num(r, 'n_valid'),
      ),
    })
  }
  const satisfaction = view(
    'satisfaction',
    'Victim satisfaction',
    'Question',
    discloseTable({ rows: satisfactionRows }),
    [
      { header: 'Satisfied (95% CI)', render: (row) => withInterval(row, 'pct', 'ci_low', 'ci_high') },
      col('Answers', 'answers'),
    ],
  )
  const anySurvey = surveyAll[0]
  const response = anySurvey
    ? view(
        'survey_response',
        'Surveys sent in the month and answered within 72 h (all victims surveyed)',
        'Measure',
        discloseTable({
          rows: [
            {
              key: 'surveys',
              label: 'Surveys',
              cells: [
                count('closed', num(anySurvey, 'n_closed')),
                count('answered', num(anySurvey, 'n_responded')),
                {
                  column: 'response_rate',
                  kind: 'rate',
                  value: num(anySurvey, 'response_rate'),
                  numerator: num(anySurvey, 'n_responded'),
                  denominator: num(anySurvey, 'n_closed'),
                  basis: ['closed', 'answered'],
                },
                count('open', num(anySurvey, 'n_open')),
              ],
            },
          ],
        }),
        [
          col('Window closed', 'closed'),
          col('Answered', 'answered'),
          col('Response rate', 'response_rate'),
          col('Still open', 'open'),
        ],
      )
    : undefined
  return { satisfaction, response }
}

export function stopSearchViews(
  c: Ctx,
): { outcomes: TableView; arrests: TableView; ratios?: TableView } | undefined {
  const { input, month } = c
  const searchRows = input.rows.stop_search_monthly.filter(
    (r) => r.month === month && (r.group_type === 'ethnicity' || r.group_type === 'all'),
  )
  const searchTotal = searchRows.find((r) => r.group_type === 'all')
  if (!searchTotal) return undefined
  const groups = searchRows
    .filter((r) => r.group_type === 'ethnicity')
    .sort((a, b) => {
      const x = String(a.group_value)
      const y = String(b.group_value)
      return (x === 'Not stated' ? 1 : 0) - (y === 'Not stated' ? 1 : 0) || x.localeCompare(y)
    })
  // the mart gives residents only when a population is loaded: without one, the table has no ratio columns
  const withPopulation = groups.some((r) => num(r, 'residents') !== null)
  const white = groups.find((r) => r.group_value === 'White')
  // a ratio is made from the group's searches and White's: suppressing either withholds it
  const ratioBasis = ['searches', ...(white ? [{ row: 'ethnicity:White', column: 'searches' }] : [])]
  const ratioCell = (column: string, value: number | null, reference: boolean): DisclosureCell => ({
    column,
    kind: 'statistic',
    value,
    decimals: 2,
    basis: ratioBasis,
    ...(reference ? { empty: 'reference' } : {}),
  })
  const populationCells = (r: MartRow): DisclosureCell[] => {
    const reference = r.group_value === 'White'
    return [
      {
        column: 'searches_per_1000',
        kind: 'statistic',
        value: num(r, 'searches_per_1000'),
        decimals: 1,
        basis: ['searches'],
      },
      ratioCell('ratio', num(r, 'disproportionality'), reference),
      ratioCell('ratio_ci_low', num(r, 'disproportionality_ci_low'), false),
      ratioCell('ratio_ci_high', num(r, 'disproportionality_ci_high'), false),
    ]
  }
  const searchRow = (key: string, label: string, r: MartRow): DisclosureRow => ({
    key,
    label,
    cells: [
      ...(withPopulation && key !== 'all' ? populationCells(r) : []),
      count('searches', num(r, 'searches')),
      count('finds', num(r, 'finds')),
      {
        column: 'find_rate',
        kind: 'rate',
        value: num(r, 'find_rate'),
        numerator: num(r, 'finds'),
        denominator: num(r, 'searches'),
        basis: ['finds', 'searches'],
      },
      count('arrests', num(r, 'arrests')),
      {
        column: 'arrest_rate',
        kind: 'rate',
        value: num(r, 'arrest_rate'),
        numerator: num(r, 'arrests'),
        denominator: num(r, 'searches'),
        basis: ['arrests', 'searches'],
      },
    ],
  })
  const disclosed = discloseTable({
    rows: [
      ...groups.map((r) => searchRow(`ethnicity:${r.group_value}`, String(r.group_value), r)),
      searchRow('all', 'All', searchTotal),
    ],
    columnTotal: 'all',
  })
  const outcomes = view(
    'stop_search_ethnicity',
    'Stop and search outcomes by ethnicity (force-wide)',
    'Ethnicity (officer-defined)',
    disclosed,
    [col('Searches', 'searches'), col('Finds', 'finds'), col('Find rate', 'find_rate')],
  )
  const arrests = view(
    'stop_search_ethnicity',
    'Arrests from stop and search by ethnicity (force-wide)',
    'Ethnicity (officer-defined)',
    disclosed,
    [col('Arrests', 'arrests'), col('Arrest rate', 'arrest_rate')],
  )
  if (!withPopulation) return { outcomes, arrests }
  const ratios = view(
    'stop_search_ethnicity',
    'Stop and search rate ratio against White (force-wide)',
    'Ethnicity (officer-defined)',
    { rows: disclosed.rows.filter((row) => row.key !== 'all') },
    [
      col('Searches per 1,000 residents', 'searches_per_1000'),
      {
        header: 'Rate ratio against White (95% CI)',
        render: (row) => withInterval(row, 'ratio', 'ratio_ci_low', 'ratio_ci_high'),
      },
    ],
  )
  return { outcomes, arrests, ratios }
}
