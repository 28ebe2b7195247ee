import { randomBytes } from 'node:crypto'
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { assertValidKey, type Mailer, type RawMessage, SendError } from '../core/ports.ts'
import {
  headerValue,
  messageIdOf,
  PERIOD_ID,
  RECIPIENT_HEADER,
  REPORT_HEADER,
} from '../core/reports/compose.ts'

const SEGMENT = /^[A-Za-z0-9_%~-][A-Za-z0-9._%~-]*$/

/**
 * A folder of .eml files instead of a mail server, for running locally: `send` writes the bytes unchanged to
 * `<folder>/<report>/<period>/<recipient-key>.eml`, filed by the message's `X-Hotspot-Report` ("weekly
 * 2026-W46") and `X-Hotspot-Recipient` headers (see compose.ts), or under a relative `name` the caller gives.
 * The file appears whole or not at all (a temporary file renamed into place); sending the same message again
 * replaces it. The message id is the Message-ID header.
 */
export class OutboxMailer implements Mailer {
  readonly name = 'outbox' as const
  readonly folder: string

  constructor(folder: string) {
    this.folder = path.resolve(folder)
  }

  /** Where `send` writes a message: an absolute path under the folder. */
  fileFor(message: RawMessage, name?: string): string {
    const relative = name ?? defaultName(message)
    assertValidKey(relative)
    return path.join(this.folder, ...relative.split('/'))
  }

  async send(message: RawMessage, options: { name?: string } = {}): Promise<{ messageId: string }> {
    let file: string
    try {
      file = this.fileFor(message, options.name)
    } catch (error) {
      throw new SendError('rejected', `outbox: ${(error as Error).message}`, error)
    }
    const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`
    try {
      await mkdir(path.dirname(file), { recursive: true })
      await writeFile(temp, message.raw, { flag: 'wx' })
      await rename(temp, file)
    } catch (error) {
      await unlink(temp).catch(() => undefined)
      // the file was not published: nothing went out, so delivery may try again
      throw new SendError('transient', `outbox: could not write ${file}: ${(error as Error).message}`, error)
    }
    return {
      messageId: messageIdOf(message.raw) ?? path.relative(this.folder, file).split(path.sep).join('/'),
    }
  }
}

/** `weekly/2026-W46/CMD-001.eml` from the message's X-Hotspot headers. */
function defaultName(message: RawMessage): string {
  const report = headerValue(message.raw, REPORT_HEADER)
  const recipient = headerValue(message.raw, RECIPIENT_HEADER)
  const match = /^(weekly|monthly) (\S+)$/.exec(report ?? '')
  if (!match || !PERIOD_ID.test(match[2] as string) || recipient === undefined || !SEGMENT.test(recipient)) {
    throw new Error(
      `cannot file the message: it needs "${REPORT_HEADER}: weekly 2026-W46" and a plain "${RECIPIENT_HEADER}" header, or a name`,
    )
  }
  return `${match[1]}/${match[2]}/${recipient}.eml`
}
