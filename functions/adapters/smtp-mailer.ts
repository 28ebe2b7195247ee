import { createTransport } from 'nodemailer'
import { type Mailer, type ReportMessage, SendError } from '../core/ports.ts'

/**
 * Sends the composed bytes unchanged over SMTP with nodemailer (`smtp://host:port`, `smtps://user:pass@host`,
 * options as URL query parameters). The envelope is the message's (`MAIL FROM` / `RCPT TO`), never parsed
 * from the headers. The message id is the message's Message-ID, the one the archive and the ledger know.
 */
export class SmtpMailer implements Mailer {
  readonly name = 'smtp' as const
  private readonly transport: ReturnType<typeof createTransport>

  constructor(readonly url: string) {
    this.transport = createTransport(url)
  }

  async send(message: ReportMessage): Promise<{ messageId: string }> {
    try {
      await this.transport.sendMail({
        envelope: { from: message.from, to: [...message.to] },
        raw: message.raw,
      })
    } catch (error) {
      throw classifySmtpError(error) ?? error
    }
    return { messageId: message.messageId }
  }

  /** Closes the transport (only a pooled transport holds connections between messages). */
  close(): void {
    this.transport.close()
  }
}

interface SmtpErrorShape {
  message?: string
  code?: string
  originalCode?: string
  command?: string
  response?: string
  responseCode?: number
  timeoutType?: string
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'])

/**
 * How delivery should treat an SMTP error, or undefined when the server may have taken the message (the
 * connection broke after the data went out): delivery records that as an unknown outcome, not resent.
 *
 * - 4xx (any stage) and 503 -> `transient`: the server said "not now", retried with backoff.
 * - 550, 551, 553 or enhanced status 5.1.x / 5.2.1 for a recipient (mailbox unavailable, unknown user,
 *   disabled) -> `suppressed`: skipped and reported.
 * - 5xx for the sender (MAIL FROM) or an authentication refusal (530, 534, 535, 538, EAUTH, ENOAUTH) ->
 *   `quota-exceeded`: nothing can be sent with this configuration, so the run stops and a later run retries.
 * - any other 5xx -> `rejected`: reported, not retried.
 * - a connection that could not be made (refused, no such host, no greeting) -> `transient`.
 * - a connection lost or timed out later: undefined (nodemailer does not say whether the data had gone).
 */
export function classifySmtpError(error: unknown): SendError | undefined {
  if (error instanceof SendError) return error
  const {
    message = '',
    code,
    originalCode,
    command,
    response,
    responseCode,
    timeoutType,
  } = (error ?? {}) as SmtpErrorShape
  const detail = `SMTP ${command ? `${command}: ` : ''}${response ?? message}`
  const make = (kind: SendError['kind']) => new SendError(kind, detail, error)

  if (code === 'EAUTH' || code === 'ENOAUTH') return make('quota-exceeded')
  if (responseCode !== undefined) {
    // 503 (bad sequence of commands) is about the session, not the message: a new connection may take it
    if ((responseCode >= 400 && responseCode < 500) || responseCode === 503) return make('transient')
    if (responseCode >= 500 && responseCode < 600) {
      if ([530, 534, 535, 538].includes(responseCode)) return make('quota-exceeded')
      if (command === 'MAIL FROM') return make('quota-exceeded')
      const enhanced = /\b5\.(\d{1,3})\.(\d{1,3})\b/.exec(response ?? '')
      const mailboxProblem =
        [550, 551, 553].includes(responseCode) ||
        (enhanced !== null && (enhanced[1] === '1' || (enhanced[1] === '2' && enhanced[2] === '1')))
      if (command === 'RCPT TO' && mailboxProblem) return make('suppressed')
      return make('rejected')
    }
  }
  if (CONNECT_CODES.has(originalCode ?? '') || CONNECT_CODES.has(code ?? '')) return make('transient')
  // nodemailer names a lost connection 'CONN' whatever stage it was at, so only these say nothing went out
  if (timeoutType === 'CONNECT_TIMEOUT' || timeoutType === 'GREETING_TIMEOUT') return make('transient')
  return undefined
}
