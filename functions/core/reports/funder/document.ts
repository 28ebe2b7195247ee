/**
 * The monthly programme report to funders as a document (DESIGN section 8): the month's results in the
 * hotspots, the patrol effect with its confidence interval, crime by patrol presence measured from GPS (the
 * dose-response), displacement (WDQ, TNE), victim satisfaction with confidence intervals, stop and search outcomes
 * and arrests.
 *
 * Everything printed comes from the disclosure-controlled tables of funder/figures.ts (DESIGN section 7): the
 * HTML body, the plain-text alternative and the CSV attachment show the same disclosed figures, and the
 * sentences are written from disclosed cells only.
 */

import { KOPER } from '../../contracts/dosage.ts'
import { renderEmail } from '../document/email.ts'
import { formatDate, formatNumber } from '../document/format.ts'
import type { Block, Cell, DataTable, ReportDocument, Section, Table } from '../document/model.ts'
import { cellText } from '../document/text.ts'
import { assertHeaderSafe } from '../mail-headers.ts'
import type { Period, RenderedEmail } from '../model.ts'
import {
  cellOf,
  DISCLOSURE_NOTES,
  type DisclosedCell,
  type DisclosedRow,
  NOT_AVAILABLE,
  rowOf,
  UNDER_10,
  WITHHELD,
} from './disclosure.ts'
import { disclosedTables, type FunderFigures, funderFigures } from './figures.ts'
import {
  changeColumn,
  FunderReportError,
  type FunderReportInput,
  str,
  type TableView,
  withInterval,
} from './tables.ts'

/** A disclosed table as the document prints it: its caption, the row labels, then its columns. */
function tableBlock(v: TableView): Block {
  const table: Table = {
    caption: v.caption,
    columns: [
      { header: v.rowHeader, align: 'left' },
      ...v.columns.map((c) => ({ header: c.header, align: 'right' as const })),
    ],
    rows: v.table.rows.map((row) => ({
      label: row.label,
      cells: v.columns.map((c): Cell => c.render(row) ?? { type: 'empty' }),
    })),
  }
  return { type: 'table', table }
}

const changeText = (row: DisclosedRow) => {
  const cell = changeColumn('').render(row)
  return cell ? cellText(cell) : NOT_AVAILABLE
}

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

/** The dose-response tables with what they show and what they do not, or one line when no presence was measured. */
function doseResponseBlocks(figures: FunderFigures, period: Period): Block[] {
  const views = figures.doseResponse
  if (!views)
    return [{ type: 'paragraph', text: `No patrol presence was measured from GPS pings in ${period.label}.` }]
  return [
    {
      type: 'paragraph',
      text:
        'Hotspot-days with patrol presence measured from GPS pings, in bands by the minutes in the day with at least one officer on foot in the hotspot: ' +
        'under one minute, one to nine, 10 to 16, 17 to 30, and over 30 minutes. Days without pings are left out, not counted as days without presence.',
    },
    tableBlock(views.month),
    ...(views.sinceFirst ? [tableBlock(views.sinceFirst)] : []),
    {
      type: 'paragraph',
      text:
        'Crimes and harm per day are means over the hotspot-days of the band, each with a 95% confidence interval: a normal interval across the hotspot-days (the mean plus or minus 1.96 standard errors). ' +
        'An incident counts on the day it occurred, as for the patrol effect, and records the police raised themselves (patrols create them) are left out. ' +
        `The target dose is ${KOPER.minMinutes} minutes of presence in the day (Koper); the share at target is of the hotspot-days assigned a patrol. ` +
        'A band of fewer than 10 hotspot-days is withheld as a whole. ' +
        'These figures show association, not cause: presence is not assigned at random, and the days that draw more of it may differ in other ways. ' +
        'The patrol effect above, from the random allocation of patrols, is the estimate of what patrols do.',
    },
  ]
}

/**
 * The report as a document: the disclosed tables, and sentences printed from the disclosed cells only.
 */
export function funderReportDocument(input: FunderReportInput): ReportDocument {
  const { period, force } = input
  if (period.report !== 'monthly')
    throw new FunderReportError(`the funder report is monthly, not for ${period.id}`)
  assertHeaderSafe(input.funder.name, 'funder name')
  assertHeaderSafe(input.funder.email, 'funder address')
  const images = (input.images ?? []).map(({ cid, alt }) => ({ cid, alt }))
  const subject = assertHeaderSafe(`Hotspot policing: monthly report, ${period.label} (${force})`, 'subject')
  const figures = funderFigures(input)
  const { ctx: c, crime, patrol, activity, weeklyArrests: weekly, effect, displacement } = figures
  const { satisfaction, response, search, byHotspot } = figures
  const { lastYearLabel } = c

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
    `Victim satisfaction in the hotspots: ${cellText(withInterval(overall, 'pct', 'ci_low', 'ci_high'))}, from ${cellOf(overall, 'answers').display} answers.`,
  )

  const sections: Section[] = [
    {
      title: `At a glance: ${period.label}`,
      blocks: [
        { type: 'list', items: glance.map((line) => ({ line: [line] })) },
        ...(images.length ? [{ type: 'images' as const, images }] : []),
      ],
    },
    {
      title: 'Crime and harm',
      blocks: [
        {
          type: 'paragraph',
          text: `Incidents reported in ${period.label} located in the programme's hotspots, against the same month a year earlier. A change is flagged up or down when it is statistically significant (Poisson test, Z of three or more either way); the percentage change is shown beside the flag.`,
        },
        tableBlock(crime),
      ],
    },
    {
      title: 'Patrols',
      blocks: [
        {
          type: 'paragraph',
          text: 'Visits of 10 to 16 minutes follow the Koper curve. The share of assigned hotspot-days with such a visit is the patrol dose delivered.',
        },
        tableBlock(patrol),
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
    blocks.push(tableBlock(effect))
    sections.push({ title: 'Patrol effect', blocks })
  } else {
    sections.push({
      title: 'Patrol effect',
      blocks: [{ type: 'paragraph', text: 'No trial days yet: the effect cannot be estimated.' }],
    })
  }
  sections.push({ title: 'Patrol presence and crime', blocks: doseResponseBlocks(figures, period) })
  if (displacement) {
    const wdq = cellOf(rowOf(displacement.stats.table, 'wdq'), 'value')
    const tne = cellOf(rowOf(displacement.stats.table, 'tne'), 'value')
    const from = str(displacement.row, 'before_from')
    const to = str(displacement.row, 'after_to')
    sections.push({
      title: 'Displacement',
      blocks: [
        {
          type: 'paragraph',
          text: `Did crime move to the streets around the hotspots? Incidents in the hotspots, in a buffer around them and in control areas, over the 12 weeks before each hotspot's clear phase began and the 12 weeks after${from && to ? ` (${formatDate(from)} to ${formatDate(to)})` : ''}. Each incident counts once, however many hotspots it is near: the control areas' figures are their own counts.`,
        },
        tableBlock(displacement.counts),
        { type: 'paragraph', text: `WDQ: ${wdqWords(wdq)}.` },
        { type: 'paragraph', text: `Total net effect: ${tneWords(tne)}.` },
        tableBlock(displacement.stats),
      ],
    })
  } else {
    sections.push({
      title: 'Displacement',
      blocks: [
        { type: 'paragraph', text: 'No hotspot has completed the 12 weeks after its clear phase began yet.' },
      ],
    })
  }
  const arrestBlocks: Block[] = [tableBlock(activity)]
  if (weekly) arrestBlocks.push(tableBlock(weekly))
  if (search) {
    arrestBlocks.push(
      {
        type: 'paragraph',
        text: `Stop and search across the force in ${period.label}, by the ethnicity the officer recorded. The find rate is the share of searches that found what was searched for.`,
      },
      tableBlock(search.outcomes),
      tableBlock(search.arrests),
    )
    if (search.ratios) {
      arrestBlocks.push(
        {
          type: 'paragraph',
          text: "Disproportionality: a group's searches per 1,000 residents divided by White residents' (census residents of the force area), with a 95% confidence interval. Residents are a weak denominator where most people present do not live there (town centres, transport hubs): a ratio there says who lives nearby, not who was around to be searched.",
        },
        tableBlock(search.ratios),
      )
    }
  }
  sections.push({ title: 'Arrests, stop and search, tips', blocks: arrestBlocks })

  const satisfactionBlocks: Block[] = [
    {
      type: 'paragraph',
      text:
        'Share of victims surveyed in the month who were completely, very or fairly satisfied, with its 95% Wilson interval. ' +
        'Answers received within 72 h of sending, to the surveys sent in the month whose 72 h response window had closed.',
    },
    tableBlock(satisfaction),
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
  sections.push({ title: 'Victim satisfaction', blocks: satisfactionBlocks })
  if (byHotspot) {
    sections.push({
      title: 'By hotspot',
      blocks: [
        {
          type: 'paragraph',
          text: 'An incident in two overlapping hotspots counts in each of them and once in the total.',
        },
        tableBlock(byHotspot),
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

  const dataFilename = `funder-report-${period.id}.csv`
  notes.push(`The same figures are attached as ${dataFilename}.`)
  return {
    subject,
    preview: glance.slice(0, 2).join(' '),
    masthead: { kicker: force, title: `Hotspot policing: monthly report, ${period.label}`, lines: [] },
    sections,
    notes,
    data: funderData(figures, period),
    dataFilename,
  }
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
] as const

/** Every disclosed cell of every table, one CSV row each: the same figures as the body. */
function funderData(figures: FunderFigures, period: Period): DataTable {
  const rows: DataTable['rows'] = []
  for (const v of disclosedTables(figures)) {
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
  return { columns: FUNDER_CSV_COLUMNS, rows }
}

/** The monthly funder report, rendered for one funder (the content is the same for every funder). */
export const renderFunderReport = async (input: FunderReportInput): Promise<RenderedEmail> =>
  renderEmail(funderReportDocument(input), input.images ?? [])
