import { createHash } from 'node:crypto'
import type { MartName } from '../analytics/marts.ts'
import type { Clock, Mailer, ObjectStore } from '../ports.ts'
import { latestReference } from '../reference/manifest.ts'
import { type Recipients, readRecipients } from '../reference/recipients.ts'
import { readRegister } from '../reference/register.ts'
import { heatmapChart } from './charts/heatmap.ts'
import { chartCid } from './charts/parts.ts'
import { patrolEffectChart } from './charts/patrol-effect.ts'
import type { Rasteriser } from './charts/rasterise.ts'
import { renderChart } from './charts/render.ts'
import { weeklyHarmChart } from './charts/weekly-harm.ts'
import { composeMessage } from './compose.ts'
import { type DeliveryOutcome, deliver, QuotaExceededError, type ResendRequest } from './delivery.ts'
import { renderFunderReport } from './funder/document.ts'
import type { InlineImage, MartRow, Period, Recipient, RenderedEmail } from './model.ts'
import { assertPeriodEnded, assertResultsCover } from './periods.ts'
import { readResults } from './results.ts'
import { renderWeeklyScorecard } from './weekly/document.ts'

export const WEEKLY_MARTS = [
  'scorecard_weekly',
  'patrol_dosage',
  'patrol_effect',
  'arrests_weekly',
  'victim_satisfaction_monthly',
  'tips_monthly',
  'stop_search_monthly',
  'hotspot_heatmap',
  'presence_weekly',
] as const satisfies readonly MartName[]

export const MONTHLY_MARTS = [
  'funder_monthly',
  'patrol_effect',
  'displacement',
  'victim_satisfaction_monthly',
  'stop_search_monthly',
  'arrests_weekly',
  'dose_response',
] as const satisfies readonly MartName[]

/** Weeks of history in the weekly harm chart. */
const CHART_WEEKS = 26

export interface ReportRequest {
  store: ObjectStore
  mailer: Mailer
  clock: Clock
  period: Period
  /** The force's name, as it appears in subjects and headings. */
  force: string
  /** Called with each rendered email before it is sent (the local run writes an HTML preview of each). */
  onRendered?: (recipient: Recipient, email: RenderedEmail) => Promise<void>
  /** Send the new figures to recipients whose sent email differs from the one composed now; logged in the ledger. */
  resend?: ResendRequest
  /** Draws the charts (made once by the caller: the Lambda's and the CLI's resvg builds differ). */
  rasterise: Rasteriser
}

export interface RecipientOutcome {
  recipient: Pick<Recipient, 'key' | 'name' | 'kind'>
  outcome: DeliveryOutcome | { state: 'not-attempted'; reason: string }
}

export interface ReportSummary {
  report: Period['report']
  period: string
  as_of: string
  run_id: string
  outcomes: RecipientOutcome[]
  /** The daily sending quota was reached: the run stopped, and the recipients left are 'not-attempted'. */
  stopped: string | null
}

/**
 * The recipients a run did not deliver the report as composed now to: sent now or before counts as delivered;
 * sent before with other figures (changed-since-sent) does not.
 */
export function undelivered(summary: ReportSummary): RecipientOutcome[] {
  return summary.outcomes.filter((o) => o.outcome.state !== 'sent' && o.outcome.state !== 'already-sent')
}

/**
 * One line for stderr or an error: the period, how many were not delivered, and each one's state; `howToResend`
 * tells the reader of this interface how to send changed figures.
 */
export function describeUndelivered(summary: ReportSummary, howToResend: string): string {
  const notDelivered = undelivered(summary)
  const changed = notDelivered.filter((o) => o.outcome.state === 'changed-since-sent').length
  return `${summary.report} ${summary.period}: ${notDelivered.length} of ${summary.outcomes.length} recipients not delivered${
    changed > 0
      ? ` (${changed} changed since sent: the figures now differ from those sent; ${howToResend})`
      : ''
  }: ${notDelivered.map((o) => `${o.recipient.key}: ${o.outcome.state}`).join(', ')}`
}

/**
 * The Date of a report's email: when it is scheduled to go (07:00 London on the Monday after the week, or on the
 * 1st after the month), whenever it is composed, so a retry composes the same bytes as the archived .eml.
 */
export function scheduledSendTime(period: Period): Date {
  return new Date(period.end.getTime() + 7 * 3_600_000)
}

/** A funder's ledger and archive key: no address in an object key, and stable while the address is. */
function funderKey(email: string): string {
  return `funder-${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 12)}`
}

export function recipientsOf(list: Recipients, report: Period['report']): Recipient[] {
  return report === 'weekly'
    ? list.commanders.map((c) => ({
        key: c.id,
        name: c.name,
        email: c.email,
        kind: 'commander',
        hotspotIds: c.hotspot_ids,
      }))
    : list.funders.map((f) => ({
        key: funderKey(f.email),
        name: f.name,
        email: f.email,
        kind: 'funder',
        hotspotIds: [],
      }))
}

async function latestRecipients(store: ObjectStore): Promise<Recipients> {
  const latest = await latestReference(store, 'recipients')
  if (!latest) throw new Error('no recipients loaded: run hotspot load recipients FILE')
  return readRecipients(store, latest.version)
}

/**
 * Sends one report for one period to each of its recipients, exactly once each: the weekly scorecard to every
 * commander (their hotspots only) or the monthly report to every funder. Reads the latest completed run as of the
 * period's last day, made after the period ended; a period that has not ended is refused. A recipient already
 * sent to is not sent again: one whose figures changed since is reported (changed-since-sent) and resent only on
 * an explicit `resend`; an earlier attempt whose outcome is unknown is reported, not resent; a daily quota stops
 * the run and the rest are reported as not attempted.
 */
export async function sendReports(request: ReportRequest): Promise<ReportSummary> {
  const { store, period } = request
  assertPeriodEnded(period, request.clock.now())
  if (request.resend && (request.resend.reason.trim() === '' || request.resend.requestedBy.trim() === ''))
    throw new Error('a resend needs a reason and who asked for it')
  const list = await latestRecipients(store)
  const marts = period.report === 'weekly' ? WEEKLY_MARTS : MONTHLY_MARTS
  const { run, rows } = await readResults(store, period.lastDay, marts)
  assertResultsCover(period, run)
  const register = await readRegister(store, run.register_version)
  const areas = new Map(register.features.map((f) => [f.properties.hotspot_id, f.properties]))
  const names = Object.fromEntries([...areas].map(([id, area]) => [id, area.name]))
  // the funder report's chart is the same for every funder: drawn once per run, not per email
  const funderImages = period.report === 'monthly' ? await monthlyCharts(rows, request.rasterise) : []
  const summary: ReportSummary = {
    report: period.report,
    period: period.id,
    as_of: period.lastDay,
    run_id: run.run_id,
    outcomes: [],
    stopped: null,
  }
  for (const recipient of recipientsOf(list, period.report)) {
    if (summary.stopped) {
      summary.outcomes.push({ recipient, outcome: { state: 'not-attempted', reason: summary.stopped } })
      continue
    }
    const email =
      period.report === 'weekly'
        ? await renderWeeklyScorecard({
            commander: recipient,
            period,
            force: request.force,
            hotspots: recipient.hotspotIds.map((id) => ({
              id,
              name: names[id] ?? id,
              borough: areas.get(id)?.borough ?? '',
            })),
            rows: rows as never,
            images: await weeklyCharts(recipient, rows, names, period, request.rasterise),
          })
        : await renderFunderReport({
            funder: recipient,
            period,
            force: request.force,
            rows: rows as never,
            images: funderImages,
            hotspotNames: names,
          })
    await request.onRendered?.(recipient, email)
    const compose = (resend: number) =>
      composeMessage(email, {
        from: { name: list.sender.name, email: list.sender.email },
        replyTo: list.reply_to,
        to: recipient,
        date: scheduledSendTime(period),
        report: period.report,
        period: period.id,
        resend,
      })
    try {
      const outcome = await deliver({
        store,
        mailer: request.mailer,
        clock: request.clock,
        report: period.report,
        period: period.id,
        recipientKey: recipient.key,
        compose,
        resend: request.resend,
      })
      summary.outcomes.push({ recipient, outcome })
    } catch (error) {
      if (!(error instanceof QuotaExceededError)) throw error
      summary.stopped = error.message
      summary.outcomes.push({ recipient, outcome: { state: 'not-attempted', reason: error.message } })
    }
  }
  return summary
}

async function weeklyCharts(
  commander: Recipient,
  rows: Partial<Record<MartName, MartRow[]>>,
  names: Record<string, string>,
  period: Period,
  rasterise: Rasteriser,
): Promise<InlineImage[]> {
  const images: InlineImage[] = []
  for (const id of commander.hotspotIds) {
    const weeks = (rows.scorecard_weekly ?? [])
      .filter((r) => r.hotspot_id === id && String(r.week_start) <= period.firstDay)
      .sort((a, b) => String(a.week_start).localeCompare(String(b.week_start)))
      .slice(-CHART_WEEKS)
    images.push({
      ...(await renderChart(weeklyHarmChart(weeks, names[id] ?? id), rasterise)),
      cid: chartCid('harm', id),
    })
    const effect = (rows.patrol_effect ?? []).filter((r) => r.scope === id)
    images.push({
      ...(await renderChart(patrolEffectChart(effect, `${names[id] ?? id}: harm on patrol days`), rasterise)),
      cid: chartCid('patrol', id),
    })
  }
  const cells = (rows.hotspot_heatmap ?? []).filter((r) =>
    commander.hotspotIds.includes(String(r.hotspot_id)),
  )
  const heatmap = await renderChart(
    heatmapChart(cells, Object.fromEntries(commander.hotspotIds.map((id) => [id, names[id] ?? id]))),
    rasterise,
  )
  images.push({ ...heatmap, cid: chartCid('heatmap') })
  return images
}

async function monthlyCharts(
  rows: Partial<Record<MartName, MartRow[]>>,
  rasterise: Rasteriser,
): Promise<InlineImage[]> {
  const programme = (rows.patrol_effect ?? []).filter((r) => r.scope === 'all')
  return [await renderChart(patrolEffectChart(programme, 'All hotspots: harm on patrol days'), rasterise)]
}
