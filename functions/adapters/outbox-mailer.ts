import path from 'node:path'
import { assertValidKey, type Mailer, type RawMessage, SendError } from '../core/ports.ts'
import {
  assertReportPeriod,
  headerValue,
  messageIdOf,
  PERIOD_ID,
  RECIPIENT_HEADER,
  REPORT_HEADER,
  RESEND_HEADER,
  recipientSegment,
} from '../core/reports/compose.ts'
import { FsObjectStore } from './fs-object-store.ts'

const SEGMENT = /^[A-Za-z0-9_%~-][A-Za-z0-9._%~-]*$/

/**
 * A folder of .eml files instead of a mail server, for running locally: `send` writes the bytes unchanged to
 * `<folder>/<report>/<period>/<recipient-key>.eml` (a resend: `.../resends/<recipient-key>.<n>.eml`, as in the
 * archive), filed by the message's `X-Hotspot-Report` ("weekly 2026-W46"), `X-Hotspot-Recipient` and
 * `X-Hotspot-Resend` headers (see compose.ts), or under a relative `name` the caller gives.
 * The file appears whole or not at all (written as an object of an FsObjectStore on the folder); sending the same
 * message again replaces it. The message id is the Message-ID header.
 */
export class OutboxMailer implements Mailer {
  readonly name = 'outbox' as const
  readonly folder: string
  private readonly files: FsObjectStore

  constructor(folder: string) {
    this.files = new FsObjectStore(folder)
    this.folder = this.files.location
  }

  /** Where `send` writes a message: an absolute path under the folder. */
  fileFor(message: RawMessage, name?: string): string {
    return this.pathOf(keyOf(message, name))
  }

  private pathOf(key: string): string {
    return path.join(this.folder, ...key.split('/'))
  }

  async send(message: RawMessage, options: { name?: string } = {}): Promise<{ messageId: string }> {
    let key: string
    try {
      key = keyOf(message, options.name)
    } catch (error) {
      throw new SendError('rejected', `outbox: ${(error as Error).message}`, error)
    }
    try {
      await this.files.put(key, message.raw)
    } catch (error) {
      // the file was not published: nothing went out, so delivery may try again
      const why = (error as Error).message
      throw new SendError('transient', `outbox: could not write ${this.pathOf(key)}: ${why}`, error)
    }
    return { messageId: messageIdOf(message.raw) ?? key }
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

/** The message's key under the folder: the name given, else its default name. */
function keyOf(message: RawMessage, name: string | undefined): string {
  const key = name ?? defaultName(message)
  assertValidKey(key)
  return key
}

/** `weekly/2026-W46/CMD-001.eml` from the message's X-Hotspot headers. */
function defaultName(message: RawMessage): string {
  const report = headerValue(message.raw, REPORT_HEADER)
  const recipient = headerValue(message.raw, RECIPIENT_HEADER)
  const resend = headerValue(message.raw, RESEND_HEADER)
  const match = /^(weekly|monthly) (\S+)$/.exec(report ?? '')
  if (
    !match ||
    !PERIOD_ID.test(match[2] as string) ||
    recipient === undefined ||
    !SEGMENT.test(recipient) ||
    (resend !== undefined && !/^[1-9]\d{0,8}$/.test(resend))
  ) {
    throw new Error(
      `cannot file the message: it needs "${REPORT_HEADER}: weekly 2026-W46" and a plain "${RECIPIENT_HEADER}" header, or a name`,
    )
  }
  return resend === undefined
    ? `${match[1]}/${match[2]}/${recipient}.eml`
    : `${match[1]}/${match[2]}/resends/${recipient}.${resend}.eml`
}
