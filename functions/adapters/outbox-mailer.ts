import path from 'node:path'
import { type Mailer, type ReportMessage, SendError } from '../core/ports.ts'
import { assertReportPeriod, recipientSegment } from '../core/reports/compose.ts'
import { emlPath } from '../core/reports/delivery.ts'
import { FsObjectStore } from './fs-object-store.ts'

/**
 * A folder of .eml files instead of a mail server, for running locally: `send` writes the bytes unchanged to
 * `<folder>/<report>/<period>/<recipient-key>.eml` (a resend: `.../resends/<recipient-key>.<n>.eml`), filed by
 * the message's report, period, recipient and resend as the archive files it (emlPath). The file appears whole
 * or not at all (written as an object of an FsObjectStore on the folder); sending the same message again
 * replaces it. The message id is the message's Message-ID.
 */
export class OutboxMailer implements Mailer {
  readonly name = 'outbox' as const
  readonly folder: string
  private readonly files: FsObjectStore

  constructor(folder: string) {
    this.files = new FsObjectStore(folder)
    this.folder = this.files.location
  }

  async send(message: ReportMessage): Promise<{ messageId: string }> {
    let key: string
    try {
      assertReportPeriod(message.report, message.period)
      key = emlPath(message.report, message.period, message.recipientKey, message.resend)
    } catch (error) {
      throw new SendError('rejected', `outbox: cannot file the message: ${(error as Error).message}`, error)
    }
    try {
      await this.files.put(key, message.raw)
    } catch (error) {
      // the file was not published: nothing went out, so delivery may try again
      const why = (error as Error).message
      const file = path.join(this.folder, ...key.split('/'))
      throw new SendError('transient', `outbox: could not write ${file}: ${why}`, error)
    }
    return { messageId: message.messageId }
  }
}

/**
 * Writes the HTML preview of a report email beside its .eml: `<folder>/<report>/<period>/<recipient>.html`, the
 * recipient key made a safe file name as in the ledger and archive (a key such as `../../x` stays in the folder).
 */
export async function writePreview(
  folder: string,
  report: string,
  period: string,
  recipientKey: string,
  html: string,
): Promise<string> {
  assertReportPeriod(report, period)
  const key = `${report}/${period}/${recipientSegment(recipientKey)}.html`
  const files = new FsObjectStore(folder)
  await files.put(key, html)
  return path.join(files.location, ...key.split('/'))
}
