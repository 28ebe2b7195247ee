/**
 * The monthly programme report to funders (DESIGN section 8): programme-level results for the month, the patrol
 * effect with its confidence interval, displacement (WDQ, TNE), victim satisfaction with confidence intervals,
 * stop and search outcomes and arrests.
 *
 * Everything that leaves here is printed from disclosure-controlled tables (disclosure.ts, DESIGN section 7): the
 * HTML body, the plain-text alternative and the CSV attachment show the same disclosed figures, and no figure
 * is printed from a mart row directly. Places: the programme's hotspots together, each hotspot, or the force
 * area (stop and search by ethnicity, and victim satisfaction by question, are force-wide); never finer than a
 * hotspot. No personal data: no names, addresses, identifiers of people or events, or free text from records.
 */
import { safeCsv } from './csv.ts'
import {
  type CellKind,
  type CellRef,
  cellOf,
  DISCLOSURE_NOTES,
  type DisclosedCell,
  type DisclosedRow,
  type DisclosedTable,
  type DisclosureCell,
  type DisclosureRow,
  discloseTable,
  NOT_AVAILABLE,
  rowOf,
  UNDER_10,
  WITHHELD,
} from './disclosure.ts'
import { assertHeaderSafe, escapeHtml } from './html.ts'
import { compileMjml } from './mjml.ts'
import type { InlineImage, MartRow, Period, Recipient, RenderedEmail } from './model.ts'
import { formatNumber } from './numbers.ts'
import { longDate, monthlyPeriod } from './periods.ts'

export interface FunderReportInput {
  funder: Recipient
  period: Period
  /** The force's name, as it should read in the subject and the report. */
  force: string
  rows: {
    funder_monthly: MartRow[]
    patrol_effect: MartRow[]
    displacement: MartRow[]
    victim_satisfaction_monthly: MartRow[]
    stop_search_monthly: MartRow[]
    arrests_weekly?: MartRow[]
  }
  /** PNG charts shown in the body (as `cid:` images), in this order, after the summary. */
  images?: InlineImage[]
  /** Hotspot names by id (from the register) for the by-hotspot table; the id is shown without one. */
  hotspotNames?: Record<string, string>
}

export class FunderReportError extends Error {}

/** A table as the report prints it: the disclosed table, and the columns shown (a column may join two cells). */
export interface TableView {
  /** Stable id, the CSV's `table` column. */
  id: string
  caption: string
  /** The first header names the row labels. */
  headers: string[]
  table: DisclosedTable
  columns: ColumnView[]
}

export interface ColumnView {
  header: string
  render: (row: DisclosedRow) => ShownCell | undefined
}

export interface ShownCell {
  text: string
  /** The kind of the cell the text leads with (tests look at every count cell). */
  kind: CellKind
}

export type Block =
  | { type: 'paragraph'; text: string }
  | { type: 'list'; items: string[] }
  | { type: 'table'; view: TableView }
  | { type: 'images' }

export interface Section {
  id: string
  title: string
  blocks: Block[]
}

/** The report before rendering: everything printed, already disclosure-controlled. */
export interface FunderReportModel {
  subject: string
  title: string
  preview: string
  sections: Section[]
  /** Every disclosed table, in print order (some are shown in sentences rather than as a table). */
  tables: TableView[]
  notes: string[]
}

const QUESTIONS: [string, string][] = [
  ['q_overall', 'Overall'],
  ['q_ease', 'Ease of contact'],
  ['q_actions', 'Actions taken'],
  ['q_informed', 'Kept informed'],
  ['q_treatment', 'Treatment'],
]

const num = (row: MartRow | undefined, column: string): number | null => {
  const value = row?.[column]
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

const str = (row: MartRow | undefined, column: string): string | null => {
  const value = row?.[column]
  return typeof value === 'string' ? value : null
}

const count = (column: string, value: number | null): DisclosureCell => ({ column, kind: 'count', value })

/** A rate or percentage from a funder_monthly row, which carries its value, numerator and denominator. */
const fractionOf = (
  column: string,
  kind: 'rate' | 'percent',
  row: MartRow | undefined,
  basis: (string | CellRef)[],
): DisclosureCell => ({
  column,
  kind,
  value: num(row, 'value'),
  numerator: num(row, 'numerator'),
  denominator: num(row, 'denominator'),
  basis,
})

/**
 * The change columns of a count row whose month and last-year counts are in columns month and last_year: the %
 * change, and the DESIGN 7 change flag funder_monthly gives the month's row (its flag column).
 */
function changeCells(
  current: number | null,
  comparison: number | null,
  flag: string | null,
): DisclosureCell[] {
  const pct =
    current === null || comparison === null || comparison === 0
      ? null
      : (100 * (current - comparison)) / comparison
  const basis = ['month', 'last_year']
  return [
    { column: 'change_pct', kind: 'statistic', value: pct, decimals: 1, suffix: '%', basis },
    { column: 'flag', kind: 'text', value: null, text: flag, basis },
  ]
}

const shown = (cell: DisclosedCell): ShownCell => ({ text: cell.display, kind: cell.kind })

const has = (row: DisclosedRow, column: string) => row.cells.some((c) => c.column === column)

/** A column showing one cell. */
const col = (header: string, name: string): ColumnView => ({
  header,
  render: (row) => (has(row, name) ? shown(cellOf(row, name)) : undefined),
})

/** The change column: the flag, with the % change beside it (never alone). */
const changeColumn = (header: string): ColumnView => ({
  header,
  render: (row) => {
    if (!has(row, 'flag')) return undefined
    const flag = cellOf(row, 'flag')
    const pct = cellOf(row, 'change_pct')
    if (flag.status !== 'shown') return shown(flag)
    return { text: pct.status === 'shown' ? `${flag.display} (${pct.display})` : flag.display, kind: 'text' }
  },
})

/** A figure with its 95% interval: '63.6% (46.6% to 77.8%)'. */
const withInterval = (row: DisclosedRow, value: string, low: string, high: string): ShownCell => {
  const v = cellOf(row, value)
  const lo = cellOf(row, low)
  const hi = cellOf(row, high)
  if (v.status !== 'shown' || lo.status !== 'shown' || hi.status !== 'shown') return shown(v)
  return { text: `${v.display} (${lo.display} to ${hi.display})`, kind: v.kind }
}

function view(
  id: string,
  caption: string,
  rowHeader: string,
  table: DisclosedTable,
  columns: ColumnView[],
): TableView {
  return { id, caption, headers: [rowHeader, ...columns.map((c) => c.header)], table, columns }
}

/** What the section builders share: the input, the month and its last-year twin, and funder_monthly by key. */
interface Ctx {
  input: FunderReportInput
  period: Period
  /** The month's first day, as the marts' month column holds it. */
  month: string
  lastYearLabel: string
  /** A funder_monthly row: measure, breakdown ('all' or a hotspot id), month (this one unless given). */
  fm: (measure: string, breakdown?: string, at?: string) => MartRow | undefined
  /** The same row a year earlier, when the mart reaches back that far (else undefined: unknown, not zero). */
  ly: (measure: string, breakdown?: string) => MartRow | undefined
}

function context(input: FunderReportInput): Ctx {
  const { period } = input
  const month = period.firstDay
  const [year, monthNumber] = period.id.split('-') as [string, string]
  const lastYearMonth = `${Number(year) - 1}-${monthNumber}-01`
  const byKey = new Map<string, MartRow>()
  for (const row of input.rows.funder_monthly) byKey.set(`${row.month}|${row.measure}|${row.breakdown}`, row)
  const fm = (measure: string, breakdown = 'all', at = month) => byKey.get(`${at}|${measure}|${breakdown}`)
  if (!fm('crime_count'))
    throw new FunderReportError(
      `funder_monthly has no figures for ${period.label}: run the marts as of ${period.lastDay} or later`,
    )
  // last year's figures are known when the mart knows last year's incidents (crime_count_last_year not null)
  const lastYearKnown = num(fm('crime_count_last_year'), 'value') !== null
  return {
    input,
    period,
    month,
    lastYearLabel: monthlyPeriod(`${Number(year) - 1}-${monthNumber}`).label,
    fm,
    ly: (measure, breakdown = 'all') => (lastYearKnown ? fm(measure, breakdown, lastYearMonth) : undefined),
  }
}

function crimeView(c: Ctx): TableView {
  const { fm, ly, period, lastYearLabel } = c
  const crimeNow = num(fm('crime_count'), 'value')
  const crimeLast = num(fm('crime_count_last_year'), 'value')
  const svNow = num(fm('serious_violence_count'), 'value')
  const svLast = num(ly('serious_violence_count'), 'value')
  return view(
    'crime',
    'Incidents and harm in the hotspots',
    'Measure',
    discloseTable({
      rows: [
        {
          key: 'crime_count',
          label: 'Incidents (crime and anti-social behaviour)',
          cells: [
            count('month', crimeNow),
            count('last_year', crimeLast),
            ...changeCells(crimeNow, crimeLast, str(fm('crime_count'), 'flag')),
          ],
        },
        {
          key: 'harm',
          label: 'Harm (CCHI days)',
          cells: [
            {
              column: 'month',
              kind: 'days',
              value: num(fm('harm'), 'value'),
              basis: [{ row: 'crime_count', column: 'month' }],
            },
            {
              column: 'last_year',
              kind: 'days',
              value: num(ly('harm'), 'value'),
              basis: [{ row: 'crime_count', column: 'last_year' }],
            },
          ],
        },
        {
          key: 'serious_violence',
          label: 'Serious violence',
          cells: [
            count('month', svNow),
            count('last_year', svLast),
            ...changeCells(svNow, svLast, str(fm('serious_violence_count'), 'flag')),
          ],
        },
      ],
    }),
    [col(period.label, 'month'), col(lastYearLabel, 'last_year'), changeColumn('Change')],
  )
}

function patrolView(c: Ctx): TableView {
  const { fm } = c
  const visits = num(fm('visits', 'all'), 'value')
  const assignedPct = fm('assigned_days_compliant_pct')
  return view(
    'patrol',
    'Patrols in the hotspots',
    'Measure',
    discloseTable({
      rows: [
        { key: 'visits', label: 'Patrol visits', cells: [count('number', visits)] },
        {
          key: 'patrol_minutes',
          label: 'Patrol time (minutes)',
          cells: [
            {
              column: 'number',
              kind: 'minutes',
              value: num(fm('patrol_minutes'), 'value'),
              basis: [{ row: 'visits', column: 'number' }],
            },
          ],
        },
        {
          key: 'compliant_visits',
          label: 'Visits of 10 to 16 minutes',
          cells: [
            count('number', num(fm('compliant_visits'), 'value')),
            fractionOf('share', 'percent', fm('compliant_visit_pct'), [
              'number',
              { row: 'visits', column: 'number' },
            ]),
          ],
        },
        {
          key: 'assigned_days',
          label: 'Hotspot-days assigned a patrol',
          cells: [count('number', num(fm('assigned_days'), 'value'))],
        },
        {
          key: 'assigned_days_compliant',
          label: 'Assigned days with a visit of 10 to 16 minutes',
          cells: [
            count('number', num(assignedPct, 'numerator')),
            fractionOf('share', 'percent', assignedPct, [
              'number',
              { row: 'assigned_days', column: 'number' },
            ]),
          ],
        },
      ],
    }),
    [col('Number', 'number'), col('Share', 'share')],
  )
}

function activityView(c: Ctx): TableView {
  const { fm, ly, period, lastYearLabel } = c
  const countRow = (key: string, label: string, measure: string): DisclosureRow => {
    const now = num(fm(measure), 'value')
    const last = num(ly(measure), 'value')
    const flag = str(fm(measure), 'flag')
    return {
      key,
      label,
      cells: [count('month', now), count('last_year', last), ...changeCells(now, last, flag)],
    }
  }
  return view(
    'activity',
    'Arrests, stop and search and tips in the hotspots',
    'Measure',
    discloseTable({
      rows: [
        countRow('arrests', 'Arrests', 'arrests'),
        countRow('searches', 'Stop and searches', 'searches'),
        countRow('finds', 'Searches that found what was searched for', 'finds'),
        {
          key: 'find_rate',
          label: 'Find rate',
          cells: [
            fractionOf('month', 'rate', fm('find_rate'), [
              { row: 'finds', column: 'month' },
              { row: 'searches', column: 'month' },
            ]),
            fractionOf('last_year', 'rate', ly('find_rate'), [
              { row: 'finds', column: 'last_year' },
              { row: 'searches', column: 'last_year' },
            ]),
          ],
        },
        countRow('tips_received', 'Tips received', 'tips_received'),
      ],
    }),
    [col(period.label, 'month'), col(lastYearLabel, 'last_year'), changeColumn('Change')],
  )
}

function weeklyArrestsView(c: Ctx): TableView | undefined {
  const { input, period } = c
  if (!input.rows.arrests_weekly) return undefined
  const weeks = input.rows.arrests_weekly
    .filter((r) => r.hotspot_id === 'all' && typeof r.week_start === 'string')
    .filter((r) => (r.week_start as string) >= period.firstDay && (r.week_start as string) <= period.lastDay)
    .sort((a, b) => String(a.week_start).localeCompare(String(b.week_start)))
  if (weeks.length === 0) return undefined
  return view(
    'arrests_weekly',
    'Arrests in the hotspots by week',
    'Week beginning',
    discloseTable({
      rows: weeks.map((r) => {
        const basis = ['week', 'last_year']
        return {
          key: String(r.week_start),
          label: longDate(String(r.week_start)),
          cells: [
            count('week', num(r, 'arrests')),
            count('last_year', num(r, 'arrests_last_year')),
            {
              column: 'change_pct',
              kind: 'statistic',
              value: num(r, 'pct_change_last_year'),
              decimals: 1,
              suffix: '%',
              basis,
            },
            { column: 'flag', kind: 'text', value: null, text: str(r, 'flag'), basis },
          ],
        }
      }),
    }),
    [col('Arrests', 'week'), col('Same week last year', 'last_year'), changeColumn('Change')],
  )
}

function patrolEffectView(c: Ctx): TableView | undefined {
  const { input } = c
  const effectRows: DisclosureRow[] = []
  for (const [outcome, label] of [
    ['harm', 'Harm (CCHI days)'],
    ['count', 'Incidents'],
  ] as const) {
    const r = input.rows.patrol_effect.find((p) => p.scope === 'all' && p.outcome === outcome)
    if (!r) continue
    const basis = ['n_assigned', 'n_unassigned']
    const pct = (c: string) => {
      const v = num(r, c)
      return v === null ? null : 100 * v
    }
    effectRows.push({
      key: outcome,
      label,
      cells: [
        count('n_assigned', num(r, 'n_assigned_days')),
        count('n_unassigned', num(r, 'n_unassigned_days')),
        { column: 'mean_assigned', kind: 'statistic', value: num(r, 'mean_assigned'), basis },
        { column: 'mean_unassigned', kind: 'statistic', value: num(r, 'mean_unassigned'), basis },
        { column: 'effect', kind: 'statistic', value: pct('effect'), decimals: 1, suffix: '%', basis },
        { column: 'ci_low', kind: 'statistic', value: pct('effect_ci_low'), decimals: 1, suffix: '%', basis },
        {
          column: 'ci_high',
          kind: 'statistic',
          value: pct('effect_ci_high'),
          decimals: 1,
          suffix: '%',
          basis,
        },
      ],
    })
  }
  if (effectRows.length === 0) return undefined
  return view(
    'patrol_effect',
    'Patrol effect (all hotspot-days of the trial so far)',
    'Outcome',
    discloseTable({ rows: effectRows }),
    [
      col('Mean per patrol day', 'mean_assigned'),
      col('Mean per other day', 'mean_unassigned'),
      {
        header: 'Reduction (95% CI)',
        render: (row) => withInterval(row, 'effect', 'ci_low', 'ci_high'),
      },
    ],
  )
}

function displacementViews(c: Ctx): { counts: TableView; stats: TableView; row: MartRow } | undefined {
  const { input } = c
  const d = input.rows.displacement.find((r) => r.hotspot_id === 'all')
  if (!d) return undefined
  const six: CellRef[] = ['hotspots', 'buffer', 'control'].flatMap((row) => [
    { row, column: 'before' },
    { row, column: 'after' },
  ])
  const disclosed = discloseTable({
    rows: [
      {
        key: 'hotspots',
        label: 'Hotspots',
        cells: [count('before', num(d, 'rb')), count('after', num(d, 'ra'))],
      },
      {
        key: 'buffer',
        label: 'Buffer around them',
        cells: [count('before', num(d, 'db')), count('after', num(d, 'da'))],
      },
      {
        key: 'control',
        label: 'Control areas',
        cells: [count('before', num(d, 'cb')), count('after', num(d, 'ca'))],
      },
      {
        key: 'wdq',
        label: 'Weighted displacement quotient (WDQ)',
        cells: [
          { column: 'value', kind: 'statistic', value: num(d, 'wdq'), basis: six, empty: 'not applicable' },
        ],
      },
      {
        key: 'tne',
        label: 'Total net effect (TNE, incidents)',
        cells: [{ column: 'value', kind: 'statistic', value: num(d, 'tne'), decimals: 1, basis: six }],
      },
    ],
  })
  const countsOnly: DisclosedTable = { rows: disclosed.rows.filter((r) => has(r, 'before')) }
  const statsOnly: DisclosedTable = { rows: disclosed.rows.filter((r) => has(r, 'value')) }
  const counts = view(
    'displacement_counts',
    'Incidents in the 12 weeks before and after',
    'Area',
    countsOnly,
    [col('Before', 'before'), col('After', 'after')],
  )
  const stats = view('displacement', 'Displacement measures', 'Measure', statsOnly, [col('Value', 'value')])
  return { counts, stats, row: d }
}

function satisfactionViews(c: Ctx): { satisfaction: TableView; response: TableView | undefined } {
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

function stopSearchViews(
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

function byHotspotView(c: Ctx): TableView | undefined {
  const { input, fm, month, period, lastYearLabel } = c
  const hotspotIds = [
    ...new Set(
      input.rows.funder_monthly
        .filter((r) => r.month === month && r.breakdown !== 'all')
        .map((r) => String(r.breakdown)),
    ),
  ].sort()
  const hotspotRow = (key: string, label: string, breakdown: string): DisclosureRow => ({
    key,
    label,
    cells: [
      count('month', num(fm('crime_count', breakdown), 'value')),
      count('last_year', num(fm('crime_count_last_year', breakdown), 'value')),
      { column: 'harm', kind: 'days', value: num(fm('harm', breakdown), 'value'), basis: ['month'] },
    ],
  })
  if (hotspotIds.length === 0) return undefined
  return view(
    'hotspots',
    'Incidents and harm by hotspot',
    'Hotspot',
    discloseTable({
      rows: [
        ...hotspotIds.map((id) => hotspotRow(`hotspot:${id}`, input.hotspotNames?.[id] ?? id, id)),
        hotspotRow('all', 'All hotspots', 'all'),
      ],
      columnTotal: 'all',
    }),
    [col(period.label, 'month'), col(lastYearLabel, 'last_year'), col('Harm (CCHI days)', 'harm')],
  )
}

// --- sentences, printed from disclosed cells only ---------------------------------------------------------------

const changeText = (row: DisclosedRow) => changeColumn('').render(row)?.text ?? NOT_AVAILABLE

function effectSentence(row: DisclosedRow, what: string): string {
  const e = cellOf(row, 'effect')
  const lo = cellOf(row, 'ci_low')
  const hi = cellOf(row, 'ci_high')
  if (e.status !== 'shown') return `Patrol effect on ${what}: ${e.display}.`
  const v = e.value as number
  const direction = v >= 0 ? 'lower' : 'higher'
  const interval =
    lo.status === 'shown' && hi.status === 'shown'
      ? ` (95% confidence interval ${lo.display} to ${hi.display})`
      : ''
  const significance =
    lo.value !== null && hi.value !== null && lo.value <= 0 && hi.value >= 0
      ? ' The interval includes no change, so the difference is not statistically significant.'
      : ''
  return `On days a hotspot was assigned a patrol, ${what} was ${formatNumber(Math.abs(v), 1)}% ${direction} than on days it was not${interval}.${significance}`
}

/** WDQ in plain words: above 0 diffusion of benefit, below 0 displacement, none not applicable. */
function wdqWords(cell: DisclosedCell): string {
  if (cell.status === 'missing')
    return 'not applicable: crime in the hotspots did not fall relative to the control areas, so there was no reduction to displace'
  if (cell.status !== 'shown') return cell.display
  const v = cell.value as number
  if (v > 0)
    return `${cell.display}, above 0: a diffusion of benefit (crime also fell in the buffer, relative to the control areas)`
  if (v < 0)
    return `${cell.display}, below 0: displacement (crime rose in the buffer, relative to the control areas)`
  return `${cell.display}: neither displacement nor diffusion of benefit`
}

function tneWords(cell: DisclosedCell): string {
  if (cell.status !== 'shown') return cell.display
  const v = cell.value as number
  const size = formatNumber(Math.abs(v), 1)
  return `about ${size} ${v >= 0 ? 'fewer' : 'more'} incidents in the hotspots and buffer together than the control areas' trend predicts`
}

/**
 * The report's content: every table built from the marts and disclosure-controlled, and the sentences printed
 * from the disclosed tables only.
 */
export function buildFunderReport(input: FunderReportInput): FunderReportModel {
  const { period, force } = input
  if (period.report !== 'monthly')
    throw new FunderReportError(`the funder report is monthly, not for ${period.id}`)
  assertHeaderSafe(input.funder.name, 'funder name')
  assertHeaderSafe(input.funder.email, 'funder address')
  const subject = assertHeaderSafe(`Hotspot policing: monthly report, ${period.label} (${force})`, 'subject')
  const c = context(input)
  const { lastYearLabel } = c

  const crime = crimeView(c)
  const patrol = patrolView(c)
  const activity = activityView(c)
  const weekly = weeklyArrestsView(c)
  const effect = patrolEffectView(c)
  const displacement = displacementViews(c)
  const { satisfaction, response } = satisfactionViews(c)
  const search = stopSearchViews(c)
  const byHotspot = byHotspotView(c)
  const tables = [
    crime,
    patrol,
    activity,
    weekly,
    effect,
    displacement?.counts,
    displacement?.stats,
    satisfaction,
    response,
    search?.outcomes,
    byHotspot,
  ].filter((v): v is TableView => v !== undefined)

  const glance: string[] = []
  const crimeRow = rowOf(crime.table, 'crime_count')
  glance.push(
    `Incidents in the hotspots: ${cellOf(crimeRow, 'month').display} (${lastYearLabel}: ${cellOf(crimeRow, 'last_year').display}; ${changeText(crimeRow)}).`,
  )
  const harmRow = rowOf(crime.table, 'harm')
  glance.push(
    `Harm: ${cellOf(harmRow, 'month').display} CCHI days (${lastYearLabel}: ${cellOf(harmRow, 'last_year').display}).`,
  )
  const harmEffect = effect?.table.rows.find((r) => r.key === 'harm')
  if (harmEffect) glance.push(effectSentence(harmEffect, 'harm'))
  if (displacement)
    glance.push(`Displacement: WDQ ${wdqWords(cellOf(rowOf(displacement.stats.table, 'wdq'), 'value'))}.`)
  const overall = rowOf(satisfaction.table, 'hotspots_q_overall')
  glance.push(
    `Victim satisfaction in the hotspots: ${withInterval(overall, 'pct', 'ci_low', 'ci_high').text}, from ${cellOf(overall, 'answers').display} answers.`,
  )

  const sections: Section[] = [
    {
      id: 'summary',
      title: `At a glance: ${period.label}`,
      blocks: [
        { type: 'list', items: glance },
        ...(input.images?.length ? [{ type: 'images' } as Block] : []),
      ],
    },
    {
      id: 'crime',
      title: 'Crime and harm',
      blocks: [
        {
          type: 'paragraph',
          text: `Incidents reported in ${period.label} located in the programme's hotspots, against the same month a year earlier. A change is flagged up or down when it is statistically significant (Poisson test, Z of three or more either way); the percentage change is shown beside the flag.`,
        },
        { type: 'table', view: crime },
      ],
    },
    {
      id: 'patrol',
      title: 'Patrols',
      blocks: [
        {
          type: 'paragraph',
          text: 'Visits of 10 to 16 minutes follow the Koper curve. The share of assigned hotspot-days with such a visit is the patrol dose delivered.',
        },
        { type: 'table', view: patrol },
      ],
    },
  ]
  if (effect) {
    const blocks: Block[] = []
    for (const row of effect.table.rows)
      blocks.push({
        type: 'paragraph',
        text: effectSentence(row, row.key === 'harm' ? 'harm' : 'the number of incidents'),
      })
    const first = effect.table.rows[0]
    if (first)
      blocks.push({
        type: 'paragraph',
        text: `Intention to treat over ${cellOf(first, 'n_assigned').display} hotspot-days assigned a patrol and ${cellOf(first, 'n_unassigned').display} not assigned, by random allocation.`,
      })
    blocks.push({ type: 'table', view: effect })
    sections.push({ id: 'patrol_effect', title: 'Patrol effect', blocks })
  } else {
    sections.push({
      id: 'patrol_effect',
      title: 'Patrol effect',
      blocks: [{ type: 'paragraph', text: 'No trial days yet: the effect cannot be estimated.' }],
    })
  }
  if (displacement) {
    const wdq = cellOf(rowOf(displacement.stats.table, 'wdq'), 'value')
    const tne = cellOf(rowOf(displacement.stats.table, 'tne'), 'value')
    const from = str(displacement.row, 'before_from')
    const to = str(displacement.row, 'after_to')
    sections.push({
      id: 'displacement',
      title: 'Displacement',
      blocks: [
        {
          type: 'paragraph',
          text: `Did crime move to the streets around the hotspots? Incidents in the hotspots, in a buffer around them and in control areas, over the 12 weeks before each hotspot's clear phase began and the 12 weeks after${from && to ? ` (${longDate(from)} to ${longDate(to)})` : ''}. Each incident counts once, however many hotspots it is near: the control areas' figures are their own counts.`,
        },
        { type: 'table', view: displacement.counts },
        { type: 'paragraph', text: `WDQ: ${wdqWords(wdq)}.` },
        { type: 'paragraph', text: `Total net effect: ${tneWords(tne)}.` },
        { type: 'table', view: displacement.stats },
      ],
    })
  } else {
    sections.push({
      id: 'displacement',
      title: 'Displacement',
      blocks: [
        { type: 'paragraph', text: 'No hotspot has completed the 12 weeks after its clear phase began yet.' },
      ],
    })
  }
  const arrestBlocks: Block[] = [{ type: 'table', view: activity }]
  if (weekly) arrestBlocks.push({ type: 'table', view: weekly })
  if (search) {
    arrestBlocks.push(
      {
        type: 'paragraph',
        text: `Stop and search across the force in ${period.label}, by the ethnicity the officer recorded. The find rate is the share of searches that found what was searched for.`,
      },
      { type: 'table', view: search.outcomes },
      { type: 'table', view: search.arrests },
    )
    if (search.ratios) {
      arrestBlocks.push(
        {
          type: 'paragraph',
          text: "Disproportionality: a group's searches per 1,000 residents divided by White residents' (census residents of the force area), with a 95% confidence interval. Residents are a weak denominator where most people present do not live there (town centres, transport hubs): a ratio there says who lives nearby, not who was around to be searched.",
        },
        { type: 'table', view: search.ratios },
      )
    }
  }
  sections.push({ id: 'arrests', title: 'Arrests, stop and search, tips', blocks: arrestBlocks })

  const satisfactionBlocks: Block[] = [
    {
      type: 'paragraph',
      text:
        'Share of victims surveyed in the month who were completely, very or fairly satisfied, with its 95% Wilson interval. ' +
        'Answers received within 72 h of sending, to the surveys sent in the month whose 72 h response window had closed.',
    },
    { type: 'table', view: satisfaction },
  ]
  if (response) {
    const r = rowOf(response.table, 'surveys')
    const open = cellOf(r, 'open')
    // the month's last surveys are still open on its last day: apart, so that a later report's rate can only
    // differ by them
    const stillOpen =
      open.value === 0
        ? ''
        : ` ${open.display} more surveys sent in the month were still inside their window: they count once it closes, not in these figures.`
    satisfactionBlocks.push({
      type: 'paragraph',
      text: `Across the force, ${cellOf(r, 'answered').display} of the ${cellOf(r, 'closed').display} surveys sent in ${period.label} whose 72 h response window had closed were answered (response rate ${cellOf(r, 'response_rate').display}).${stillOpen}`,
    })
  }
  sections.push({ id: 'satisfaction', title: 'Victim satisfaction', blocks: satisfactionBlocks })
  if (byHotspot) {
    sections.push({
      id: 'hotspots',
      title: 'By hotspot',
      blocks: [
        {
          type: 'paragraph',
          text: 'An incident in two overlapping hotspots counts in each of them and once in the total.',
        },
        { type: 'table', view: byHotspot },
      ],
    })
  }

  const weightsVersion = str(c.fm('harm'), 'weights_version')
  const notes = [
    `Disclosure control: ${UNDER_10} is ${DISCLOSURE_NOTES[UNDER_10]}; "${WITHHELD}" is a figure ${DISCLOSURE_NOTES[WITHHELD]}; "${NOT_AVAILABLE}": ${DISCLOSURE_NOTES[NOT_AVAILABLE]}.`,
    'Harm is the Cambridge Crime Harm Index (CCHI): the days of imprisonment each offence would attract. A harm figure is withheld with the count of incidents it is made from.',
    "Places: the programme's hotspots together, each hotspot, or the whole force area; no figure is for a smaller area. No personal data is included.",
    ...(weightsVersion ? [`CCHI weights version: ${weightsVersion}.`] : []),
  ]

  return {
    subject,
    title: `Hotspot policing: monthly report, ${period.label}`,
    preview: glance.slice(0, 2).join(' '),
    sections,
    tables,
    notes,
  }
}

// --- rendering ----------------------------------------------------------------------------------------------

const COLOURS = { ink: '#1f2933', muted: '#52606d', rule: '#cbd2d9', band: '#0b3d91', page: '#f0f2f5' }

const FONT = 'Helvetica, Arial, sans-serif'

function tableMjml(v: TableView): string {
  // MJML columns break words anywhere (word-break: break-word); table cells wrap at spaces only
  const cellStyle = `padding:6px 4px;border-bottom:1px solid ${COLOURS.rule};word-break:normal;vertical-align:top;`
  const th = (text: string, i: number) =>
    `<th style="padding:6px 4px;border-bottom:2px solid ${COLOURS.rule};word-break:normal;vertical-align:bottom;text-align:${i === 0 ? 'left' : 'right'};font-weight:bold;">${escapeHtml(text)}</th>`
  const header = `<tr>${v.headers.map(th).join('')}</tr>`
  const rows = v.table.rows.map((row) => {
    const cells = v.columns.map((c) => {
      const cell = c.render(row)
      if (!cell) return `<td style="${cellStyle}"></td>`
      return `<td data-kind="${escapeHtml(cell.kind)}" style="${cellStyle}text-align:right;">${escapeHtml(cell.text)}</td>`
    })
    return `<tr><td style="${cellStyle}text-align:left;">${escapeHtml(row.label)}</td>${cells.join('')}</tr>`
  })
  return [
    `<mj-text font-size="15px" font-weight="bold" padding="12px 16px 4px">${escapeHtml(v.caption)}</mj-text>`,
    `<mj-table font-size="14px" line-height="20px" padding="0 12px 8px" cellpadding="0" color="${COLOURS.ink}">`,
    header,
    ...rows,
    '</mj-table>',
  ].join('\n')
}

function blockMjml(block: Block, images: InlineImage[]): string {
  switch (block.type) {
    case 'paragraph':
      return `<mj-text padding="4px 16px">${escapeHtml(block.text)}</mj-text>`
    case 'list':
      return `<mj-text padding="4px 16px"><ul style="margin:0;padding-left:20px;">${block.items.map((i) => `<li style="margin:0 0 6px;">${escapeHtml(i)}</li>`).join('')}</ul></mj-text>`
    case 'table':
      return tableMjml(block.view)
    case 'images':
      return images
        .map(
          (image) =>
            `<mj-image src="cid:${escapeHtml(image.cid)}" alt="${escapeHtml(image.alt)}" padding="8px 16px" fluid-on-mobile="true" />`,
        )
        .join('\n')
  }
}

/** The report as MJML: every interpolated value escaped (MJML itself escapes nothing). */
export function funderReportMjml(
  model: FunderReportModel,
  force: string,
  images: InlineImage[] = [],
): string {
  const sections = model.sections.map(
    (s) => `<mj-section background-color="#ffffff" padding="8px 0">
<mj-column>
<mj-text font-size="19px" font-weight="bold" padding="12px 16px 4px" color="${COLOURS.band}">${escapeHtml(s.title)}</mj-text>
${s.blocks.map((b) => blockMjml(b, images)).join('\n')}
</mj-column>
</mj-section>`,
  )
  return `<mjml lang="en-GB">
<mj-head>
<mj-title>${escapeHtml(model.subject)}</mj-title>
<mj-preview>${escapeHtml(model.preview)}</mj-preview>
<mj-attributes>
<mj-all font-family="${FONT}" />
<mj-text font-size="15px" line-height="22px" color="${COLOURS.ink}" />
</mj-attributes>
</mj-head>
<mj-body background-color="${COLOURS.page}" width="600px">
<mj-section background-color="${COLOURS.band}" padding="16px 0">
<mj-column>
<mj-text color="#ffffff" font-size="13px" padding="0 16px">${escapeHtml(force)}</mj-text>
<mj-text color="#ffffff" font-size="22px" line-height="28px" font-weight="bold" padding="4px 16px">${escapeHtml(model.title)}</mj-text>
</mj-column>
</mj-section>
${sections.join('\n')}
<mj-section padding="8px 0 24px">
<mj-column>
${model.notes.map((n) => `<mj-text font-size="12px" line-height="18px" color="${COLOURS.muted}" padding="4px 16px">${escapeHtml(n)}</mj-text>`).join('\n')}
</mj-column>
</mj-section>
</mj-body>
</mjml>
`
}

/** The plain-text alternative: the same sections, sentences and table figures. */
export function funderReportText(
  model: FunderReportModel,
  force: string,
  images: InlineImage[] = [],
): string {
  const out: string[] = [model.title, force, '']
  for (const section of model.sections) {
    out.push(section.title.toUpperCase(), '')
    for (const block of section.blocks) {
      switch (block.type) {
        case 'paragraph':
          out.push(block.text, '')
          break
        case 'list':
          for (const item of block.items) out.push(`* ${item}`)
          out.push('')
          break
        case 'images':
          for (const image of images) out.push(`[Chart: ${image.alt}]`)
          out.push('')
          break
        case 'table': {
          const v = block.view
          out.push(`${v.caption}:`)
          for (const row of v.table.rows) {
            const parts = v.columns.flatMap((c) => {
              const cell = c.render(row)
              return cell ? [`${c.header} ${cell.text}`] : []
            })
            out.push(`- ${row.label}: ${parts.join('; ')}`)
          }
          out.push('')
          break
        }
      }
    }
  }
  out.push('NOTES', '', ...model.notes.flatMap((n) => [n, '']))
  out.push(`The figures are also attached as a CSV file.`)
  return `${out.join('\n')}\n`
}

export const FUNDER_CSV_COLUMNS = [
  'month',
  'table',
  'row',
  'row_label',
  'measure',
  'kind',
  'unit',
  'value',
  'status',
]

/** Every disclosed cell of every table, one CSV row each: the same figures as the body. */
export function funderReportCsv(model: FunderReportModel, period: Period): string {
  const rows: Record<string, unknown>[] = []
  const seen = new Set<DisclosedTable>()
  for (const v of model.tables) {
    if (seen.has(v.table)) continue
    seen.add(v.table)
    for (const row of v.table.rows) {
      for (const cell of row.cells) {
        rows.push({
          month: period.id,
          table: v.id,
          row: row.key,
          row_label: row.label,
          measure: cell.column,
          kind: cell.kind,
          unit: cell.unit,
          value: cell.csv,
          status: cell.status,
        })
      }
    }
  }
  return safeCsv(rows, FUNDER_CSV_COLUMNS)
}

/** The monthly funder report, rendered for one funder (the content is the same for every funder). */
export async function renderFunderReport(input: FunderReportInput): Promise<RenderedEmail> {
  const images = input.images ?? []
  for (const image of images) {
    assertHeaderSafe(image.cid, 'image Content-ID')
    assertHeaderSafe(image.filename, 'image file name')
  }
  const model = buildFunderReport(input)
  const html = await compileMjml(funderReportMjml(model, input.force, images))
  return {
    subject: model.subject,
    html,
    text: funderReportText(model, input.force, images),
    inlineImages: images,
    attachments: [
      {
        filename: `funder-report-${input.period.id}.csv`,
        contentType: 'text/csv; charset=utf-8',
        content: funderReportCsv(model, input.period),
      },
    ],
  }
}
