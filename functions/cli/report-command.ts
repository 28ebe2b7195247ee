import { userInfo } from 'node:os'
import path from 'node:path'
import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { OutboxMailer, writePreview } from '../adapters/outbox-mailer.ts'
import { SmtpMailer } from '../adapters/smtp-mailer.ts'
import { type Clock, systemClock } from '../core/ports.ts'
import { chartRasteriser } from '../core/reports/charts/rasterise.ts'
import { htmlPreview } from '../core/reports/document/mjml.ts'
import { periodOf } from '../core/reports/periods.ts'
import { type ReportSummary, sendReports } from '../core/reports/send-reports.ts'

export interface ReportCommandOptions {
  lake: string
  report: 'weekly' | 'monthly'
  /** `2026-W46` for weekly, `2026-10` for monthly. */
  period: string
  /** Folder for the .eml files (when not sending by SMTP) and an .html preview of every email. */
  outbox: string
  /** Send through this SMTP server (smtp://host:port) instead of writing .eml files. */
  smtp?: string
  force: string
  /**
   * Why the period is sent again: recipients whose figures changed since they were sent get the new ones, and
   * the ledger logs who (the user running the command), when and why.
   */
  resend?: string
  clock?: Clock
}

/** `hotspot report`: one report for one period, to every recipient, exactly once each. */
export async function runReportCommand(options: ReportCommandOptions): Promise<ReportSummary> {
  const period = periodOf(options.report, options.period)
  const mailer = options.smtp ? new SmtpMailer(options.smtp) : new OutboxMailer(options.outbox)
  return sendReports({
    store: new FsObjectStore(options.lake),
    mailer,
    clock: options.clock ?? systemClock,
    period,
    force: options.force,
    rasterise: chartRasteriser(),
    onRendered: async (recipient, email) => {
      await writePreview(options.outbox, period.report, period.id, recipient.key, htmlPreview(email))
    },
    resend: options.resend === undefined ? undefined : { requestedBy: whoRuns(), reason: options.resend },
  })
}

/** The user running the command, for the ledger's record of a resend (a uid without a passwd entry by number). */
function whoRuns(): string {
  try {
    return userInfo().username
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`
  }
}

export function describeReport(summary: ReportSummary, outbox: string): string {
  const lines = summary.outcomes.map(({ recipient, outcome }) => {
    const detail =
      'messageId' in outcome ? ` ${outcome.messageId}` : 'reason' in outcome ? `: ${outcome.reason}` : ''
    return `  ${recipient.kind.padEnd(9)} ${recipient.key.padEnd(20)} ${outcome.state}${detail}`
  })
  return [
    `${summary.report} report ${summary.period} (results as of ${summary.as_of}, run ${summary.run_id})`,
    ...lines,
    ...(summary.stopped ? [`  stopped: ${summary.stopped}`] : []),
    `  previews: ${path.join(outbox, summary.report, summary.period)}/*.html`,
  ].join('\n')
}
