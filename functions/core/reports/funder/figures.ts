/**
 * The funder report's figures (DESIGN section 8): programme-level results for the month, every table built from
 * the marts and disclosure-controlled (disclosure.ts) before anything reads it. Places: the programme's
 * hotspots together, each hotspot, or the force area (stop and search by ethnicity, and victim satisfaction by
 * question, are force-wide: victims-and-searches.ts); never finer than a hotspot. No personal data: no names,
 * addresses, identifiers of people or events, or free text from records.
 */
import { formatDate } from '../document/format.ts'
import type { MartRow } from '../model.ts'
import { type CellRef, type DisclosedTable, type DisclosureRow, discloseTable } from './disclosure.ts'
import { type DoseResponseViews, doseResponseViews } from './dose-response.ts'
import {
  type Ctx,
  changeCells,
  changeColumn,
  col,
  context,
  count,
  type FunderReportInput,
  fractionOf,
  has,
  num,
  str,
  type TableView,
  view,
  withInterval,
} from './tables.ts'
import { satisfactionViews, stopSearchViews } from './victims-and-searches.ts'

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
          label: formatDate(String(r.week_start)),
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

/** Every table of the report, disclosed; optional ones are missing when the marts have nothing for them yet. */
export interface FunderFigures {
  ctx: Ctx
  crime: TableView
  patrol: TableView
  activity: TableView
  weeklyArrests: TableView | undefined
  effect: TableView | undefined
  doseResponse: DoseResponseViews | undefined
  displacement: { counts: TableView; stats: TableView; row: MartRow } | undefined
  satisfaction: TableView
  response: TableView | undefined
  search: { outcomes: TableView; arrests: TableView; ratios?: TableView } | undefined
  byHotspot: TableView | undefined
}

export function funderFigures(input: FunderReportInput): FunderFigures {
  const ctx = context(input)
  return {
    ctx,
    crime: crimeView(ctx),
    patrol: patrolView(ctx),
    activity: activityView(ctx),
    weeklyArrests: weeklyArrestsView(ctx),
    effect: patrolEffectView(ctx),
    doseResponse: doseResponseViews(ctx),
    displacement: displacementViews(ctx),
    ...satisfactionViews(ctx),
    search: stopSearchViews(ctx),
    byHotspot: byHotspotView(ctx),
  }
}

/** Every disclosed table once, in print order (the stop and search table once, though it is shown in up to three views). */
export function disclosedTables(f: FunderFigures): TableView[] {
  return [
    f.crime,
    f.patrol,
    f.activity,
    f.weeklyArrests,
    f.effect,
    f.doseResponse?.month,
    f.doseResponse?.sinceFirst,
    f.displacement?.counts,
    f.displacement?.stats,
    f.satisfaction,
    f.response,
    f.search?.outcomes,
    f.byHotspot,
  ].filter((v): v is TableView => v !== undefined)
}
