/**
 * The weekly commander scorecard as a document (DESIGN section 8): one email per commander with only their
 * hotspots, read on a phone in a minute.
 *
 * - a summary line per hotspot (crimes and harm this week, the change flags against the same week last year and
 *   the seasonal baseline, each with its % change beside it);
 * - per hotspot a crime table (week, 28 days, financial year to date, each against last year) and key figures
 *   for the rest (seasonal baseline, serious violence, arrests, stop and search, tips, patrol dosage, GPS presence
 *   against the target dose where pings were measured, the patrol effect, victim satisfaction), then its charts;
 * - the heat map, tips by source across the force, and how to read the figures.
 *
 * The document renderers (document/) make the HTML, the plain text and the CSV from it, so all three carry the
 * same figures.
 */

import { KOPER } from '../../contracts/dosage.ts'
import { chartCid } from '../charts/parts.ts'
import { renderEmail } from '../document/email.ts'
import { formatDate } from '../document/format.ts'
import type { ImageRef, ReportDocument, Section, Table } from '../document/model.ts'
import { lineText } from '../document/text.ts'
import { assertHeaderSafe } from '../mail-headers.ts'
import type { InlineImage, Period, RenderedEmail } from '../model.ts'
import { scorecardData } from './data.ts'
import {
  gatherFigures,
  type HotspotFigures,
  type ScorecardFigures,
  type ScorecardHotspot,
  type WeeklyScorecardInput,
} from './figures.ts'
import {
  countText,
  harmText,
  keyFigures,
  lastYearFlag,
  shareText,
  sourceLabel,
  summaryItem,
} from './wording.ts'

const HEATMAP_CID = chartCid('heatmap')

interface PlacedImages {
  byHotspot: Map<string, InlineImage[]>
  heatmap: InlineImage | undefined
  other: InlineImage[]
}

function placeImages(images: InlineImage[], hotspots: ScorecardHotspot[]): PlacedImages {
  // the content ids charts.ts gives each hotspot's charts (ids with unusual characters are escaped there)
  const owner = new Map(
    hotspots.flatMap((h) => [
      [chartCid('harm', h.id), h.id] as const,
      [chartCid('patrol', h.id), h.id] as const,
    ]),
  )
  const seen = new Set<string>()
  const placed: PlacedImages = { byHotspot: new Map(), heatmap: undefined, other: [] }
  for (const image of images) {
    if (seen.has(image.cid)) throw new Error(`two images with the content id ${JSON.stringify(image.cid)}`)
    seen.add(image.cid)
    const id = owner.get(image.cid)
    if (id !== undefined) placed.byHotspot.set(id, [...(placed.byHotspot.get(id) ?? []), image])
    else if (/^(harm|patrol)-.+@hotspot$/.test(image.cid)) {
      throw new Error(`image ${JSON.stringify(image.cid)} is of a hotspot that is not the commander's`)
    } else if (image.cid === HEATMAP_CID) placed.heatmap = image
    else placed.other.push(image)
  }
  for (const list of placed.byHotspot.values()) {
    // the harm chart first, then the patrol chart, whatever order they were given in
    list.sort((a, b) => Number(a.cid.startsWith('patrol-')) - Number(b.cid.startsWith('patrol-')))
  }
  return placed
}

const imageRefs = (images: InlineImage[]): ImageRef[] => images.map(({ cid, alt }) => ({ cid, alt }))

function crimeTable(h: HotspotFigures): Table {
  return {
    columns: [
      { header: 'Period', align: 'left' },
      { header: 'Crimes', align: 'right' },
      { header: 'Harm (days)', align: 'right' },
      { header: 'vs last year', align: 'left' },
    ],
    rows: h.crime.map((p) => ({
      label: p.label,
      cells: [
        { type: 'number', text: countText(p.count) },
        { type: 'number', text: harmText(p.harm) },
        { type: 'flag', flag: lastYearFlag(p.lastYear, true) },
      ],
    })),
  }
}

function tipSourcesTable(figures: ScorecardFigures): Table {
  return {
    columns: [
      { header: 'Source', align: 'left' },
      { header: 'Received', align: 'right' },
      { header: 'Actioned in 48 h', align: 'right' },
    ],
    rows: figures.tipSources.map((t) => ({
      label: sourceLabel(t.source),
      cells: [
        { type: 'number', text: countText(t.received) },
        { type: 'number', text: `${countText(t.actioned)} (${shareText(t.actionedShare)})` },
      ],
    })),
  }
}

/** "Hotspot scorecard: Week 46, 9 to 15 November 2026 (Ch Insp Ada Lovelace)" */
export function scorecardSubject(period: Period, commanderName: string): string {
  return assertHeaderSafe(
    `Hotspot scorecard: ${period.label.replace(': ', ', ')} (${commanderName})`,
    'subject',
  )
}

/** `scorecard-<commander key>-<period id>.csv`, with anything but letters, digits, dot, dash or underscore as `_`. */
export function scorecardCsvName(commanderKey: string, periodId: string): string {
  return `scorecard-${commanderKey}-${periodId}.csv`.replace(/[^A-Za-z0-9._-]/g, '_')
}

/** One commander's scorecard for the week, from whole mart rows. */
export function weeklyScorecardDocument(input: WeeklyScorecardInput): ReportDocument {
  const figures = gatherFigures(input)
  const { period, commander, force } = input
  const csvName = scorecardCsvName(commander.key, period.id)
  const images = placeImages(input.images, input.hotspots)
  const summary = figures.hotspots.map(summaryItem)
  const sections: Section[] = [{ title: 'This week at a glance', blocks: [{ type: 'list', items: summary }] }]
  for (const h of figures.hotspots) {
    const charts = images.byHotspot.get(h.hotspot.id) ?? []
    sections.push({
      title: `${h.hotspot.id} ${h.hotspot.name}`,
      subtitle: `${period.label}${h.hotspot.borough ? ` \u00b7 ${h.hotspot.borough}` : ''}`,
      blocks: [
        { type: 'table', table: crimeTable(h) },
        { type: 'keyFigures', rows: keyFigures(h) },
        ...(charts.length ? [{ type: 'images' as const, images: imageRefs(charts) }] : []),
      ],
    })
  }
  if (images.heatmap)
    sections.push({
      title: 'Harm around your hotspots',
      subtitle: `Harm by 25 m cell over the 28 days to ${formatDate(period.lastDay)}, hotspots outlined`,
      blocks: [{ type: 'images', images: imageRefs([images.heatmap]) }],
    })
  if (images.other.length)
    sections.push({ title: 'More charts', blocks: [{ type: 'images', images: imageRefs(images.other) }] })
  if (figures.tipSources.length)
    sections.push({
      title: 'Tips by source, all areas',
      subtitle: `${figures.monthLabel}, across the force`,
      blocks: [{ type: 'table', table: tipSourcesTable(figures) }],
    })
  const first = summary[0]
  return {
    subject: scorecardSubject(period, commander.name),
    preview: first ? `${first.lead}: ${lineText(first.line)}` : period.label,
    masthead: {
      kicker: `${force} \u00b7 Hotspot policing`,
      title: 'Weekly hotspot scorecard',
      lines: [period.label, `For ${commander.name}`],
    },
    sections,
    notes: [
      `Figures for ${period.label} (Monday to Sunday, London time), as recorded by ${formatDate(period.lastDay)}.`,
      'Harm is the Cambridge Crime Harm Index: the sum of the days in prison each offence would draw.',
      'A change is flagged as significant only when the Poisson test gives |Z| of 3 or more; the % change is shown beside the flag.',
      'The seasonal range is the same week and its neighbours in the last 3 years. Patrol visits are compliant at 10 to 16 minutes.',
      ...(figures.hotspots.some((h) => h.presence)
        ? [
            `GPS presence is the minutes with at least one officer on foot in the hotspot, measured from the force's GPS pings on the days they were received; ` +
              `a day reached the target with ${KOPER.minMinutes} minutes of presence or more. Vehicles passing through are counted apart, not as presence.`,
          ]
        : []),
      'Satisfaction is the share of victims fairly, very or completely satisfied overall, with a 95% Wilson interval, in the latest month with answers: ' +
        'answers received within 72 h of sending, to the surveys sent in the month whose 72 h response window had closed.',
      `The same figures are attached as ${csvName}.`,
    ],
    data: scorecardData(figures),
    dataFilename: csvName,
  }
}

/** Renders one commander's weekly scorecard: HTML, plain text, the CSV attachment and the charts. */
export const renderWeeklyScorecard = async (input: WeeklyScorecardInput): Promise<RenderedEmail> =>
  renderEmail(weeklyScorecardDocument(input), input.images)
