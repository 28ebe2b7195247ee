/**
 * The funder report's dose-response tables (DESIGN section 12): crimes and harm per hotspot-day by band of patrol
 * presence measured from GPS pings, for the report's month and for every month measured so far, from the
 * dose_response mart. Disclosure-controlled like every table of the report (disclosure.ts): hotspot-days and
 * crimes are counts whose total is the 'all' row; a band of 1 to 9 hotspot-days is withheld as a whole (its
 * crimes with it, and every figure made from them), and harm per day goes with the crimes it is made from.
 *
 * Limit: the table of every month so far is cumulative, so a reader holding two successive reports can subtract
 * one month's totals from the next and recover a band of the month that the month's table withholds. Each table
 * is protected on its own, as disclosure.ts protects each line on its own.
 */
import { formatMonth } from '../document/format.ts'
import type { MartRow } from '../model.ts'
import { type DisclosureCell, type DisclosureRow, discloseTable } from './disclosure.ts'
import { type Ctx, col, count, num, type TableView, view, withInterval } from './tables.ts'

/**
 * The mart's bands in print order, with the row keys and labels the report uses: words for one to nine, so that
 * no figure from 1 to 9 in the report is anything but a count's (the disclosure checks read it so).
 */
const BANDS = [
  { band: '0', key: 'minutes_under_1', label: 'Under one minute' },
  { band: '1-9', key: 'minutes_1_to_9', label: 'One to nine minutes' },
  { band: '10-16', key: 'minutes_10_to_16', label: '10 to 16 minutes' },
  { band: '17-30', key: 'minutes_17_to_30', label: '17 to 30 minutes' },
  { band: 'over 30', key: 'minutes_over_30', label: 'Over 30 minutes' },
  { band: 'all', key: 'all', label: 'All measured hotspot-days' },
] as const

export interface DoseResponseViews {
  month: TableView
  /** Every month measured to the end of the report's month; undefined when that is the report's month alone. */
  sinceFirst: TableView | undefined
}

/** A band's row; a band the mart has no row for had no hotspot-days. */
function bandRow({ band, key, label }: (typeof BANDS)[number], r: MartRow | undefined): DisclosureRow {
  const basis = ['hotspot_days', 'crimes']
  const perDay = (column: string): DisclosureCell => ({
    column,
    kind: 'statistic',
    value: num(r, column),
    basis,
  })
  const cells: DisclosureCell[] = [
    count('hotspot_days', r ? num(r, 'hotspot_days') : 0),
    { ...count('crimes', r ? num(r, 'crimes') : 0), basis: ['hotspot_days'] },
    ...['crimes_per_day', 'crimes_ci_low', 'crimes_ci_high'].map(perDay),
    ...['harm_per_day', 'harm_ci_low', 'harm_ci_high'].map(perDay),
  ]
  if (band === 'all') {
    const assigned = num(r, 'assigned_days')
    const atTarget = num(r, 'assigned_days_at_target')
    cells.push(count('assigned_days', assigned), count('assigned_days_at_target', atTarget), {
      column: 'share_at_target',
      kind: 'rate',
      value: num(r, 'share_assigned_at_target'),
      numerator: atTarget,
      denominator: assigned,
      basis: ['assigned_days', 'assigned_days_at_target'],
    })
  }
  return { key, label, cells }
}

function bandsView(id: string, caption: string, rows: MartRow[]): TableView {
  return view(
    id,
    caption,
    'Presence in the day',
    discloseTable({
      rows: BANDS.map((b) =>
        bandRow(
          b,
          rows.find((r) => r.band === b.band),
        ),
      ),
      columnTotal: 'all',
    }),
    [
      col('Hotspot-days', 'hotspot_days'),
      col('Crimes', 'crimes'),
      {
        header: 'Crimes per day (95% CI)',
        render: (row) => withInterval(row, 'crimes_per_day', 'crimes_ci_low', 'crimes_ci_high'),
      },
      {
        header: 'Harm per day, CCHI days (95% CI)',
        render: (row) => withInterval(row, 'harm_per_day', 'harm_ci_low', 'harm_ci_high'),
      },
      col('Assigned days at target', 'share_at_target'),
    ],
  )
}

/** dose_response has rows only for hotspot-days whose pings were sent: a period is measured when it has some. */
const measured = (rows: MartRow[], period: string) =>
  rows.some((r) => r.period === period && r.band === 'all' && (num(r, 'hotspot_days') ?? 0) > 0)

/** The month's table and the table of every month so far; undefined when no presence was measured in the month. */
export function doseResponseViews(c: Ctx): DoseResponseViews | undefined {
  const { input, period } = c
  const rows = input.rows.dose_response
  if (!measured(rows, period.id)) return undefined
  const ofPeriod = (p: string) => rows.filter((r) => r.period === p)
  const month = ofPeriod(period.id)
  const months = rows
    .map((r) => String(r.period))
    .filter((p) => p !== 'all' && p <= period.id && measured(rows, p))
    .sort()
  const first = months[0] ?? period.id
  return {
    month: bandsView('dose_response_month', `Crime by patrol presence, ${period.label}`, month),
    sinceFirst:
      first < period.id
        ? bandsView(
            'dose_response_all',
            `Crime by patrol presence, every month measured: ${formatMonth(`${first}-01`)} to ${period.label}`,
            ofPeriod('all'),
          )
        : undefined,
  }
}
