import { createHash } from 'node:crypto'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'
import type { ReportMessage } from '../ports.ts'
import { assertHeaderSafe } from './mail-headers.ts'
import type { Recipient, RenderedEmail, ReportKind } from './model.ts'

/**
 * MIME composition of a rendered report: the exact bytes that are archived under `archive/` and handed to a
 * mailer. The bytes depend only on the inputs (fixed MIME boundaries, the given Date, a Message-ID derived
 * from the report, the period and the recipient), so composing the same email again, in a retry or a rerun,
 * gives a byte-identical .eml whose sha256 matches the ledger's.
 */

export class CompositionError extends Error {
  override name = 'CompositionError'
}

export interface Sender {
  name?: string
  email: string
}

export interface ComposeEnvelope {
  from: Sender
  replyTo?: string
  to: Recipient
  /** The report and the period id (`2026-W46`, `2026-10`) the email is for. */
  report: ReportKind
  period: string
  /** Overrides the derived Message-ID (`<hotspot.weekly.2026-W46.CMD-001@sender.domain>`). */
  messageId?: string
  /**
   * 0 (or absent) for the email as first sent; n for its nth explicit resend, which gets a Message-ID of its own
   * (a mail client drops a second message with a Message-ID it has seen) and an `X-Hotspot-Resend: n` header.
   */
  resend?: number
  /**
   * The Date header. Give a date that a rerun gives again (for example the period's scheduled send time), not
   * the time of composing: a retry must compose the same bytes as the archived .eml.
   */
  date: Date
}

/**
 * A deliberately strict address: an ASCII dot-atom local part and a DNS host name with at least two labels.
 * No quoted local parts, comments, IP literals, display names or internationalised addresses: none of them
 * is needed for a recipients file, and each is a way to smuggle something into a header or an envelope.
 */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

/** Throws HeaderInjectionError for a line break, CompositionError for anything else that is not an address. */
export function assertEmailAddress(field: string, address: string): void {
  assertHeaderSafe(address, field)
  const invalid = (why: string) => new CompositionError(`${field} ${JSON.stringify(address)} ${why}`)
  if (address.length > 254) throw invalid('is longer than 254 characters')
  const at = address.lastIndexOf('@')
  if (at < 1) throw invalid('is not an email address (local@domain)')
  const local = address.slice(0, at)
  const domain = address.slice(at + 1)
  if (local.length > 64 || !LOCAL_PART.test(local)) throw invalid('has an invalid local part')
  const labels = domain.split('.')
  if (
    labels.length < 2 ||
    !labels.every((label) => DOMAIN_LABEL.test(label)) ||
    /^\d+$/.test(labels.at(-1) ?? '')
  ) {
    throw invalid('has an invalid domain')
  }
}

const SAFE_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,119}$/

/**
 * The recipient key as one path segment of `ledger/` and `archive/` keys (and of the Message-ID): the key
 * itself when it is plain (`CMD-001`, `funder-1`), otherwise every other byte percent-encoded, and a long
 * result shortened with a hash so that it stays a valid file name. Distinct keys give distinct segments.
 */
export function recipientSegment(key: string): string {
  if (key.length === 0) throw new CompositionError('a recipient key must not be empty')
  if (SAFE_SEGMENT.test(key)) return key
  let encoded = ''
  for (const byte of Buffer.from(key, 'utf8')) {
    const char = String.fromCharCode(byte)
    encoded += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  if (encoded.length <= 120) return encoded
  return `${encoded.slice(0, 80)}~${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`
}

export const PERIOD_ID = /^\d{4}-(W\d{2}|\d{2})$/

export function assertReportPeriod(report: string, period: string): asserts report is ReportKind {
  if (report !== 'weekly' && report !== 'monthly') {
    throw new CompositionError(`report must be weekly or monthly, not ${JSON.stringify(report)}`)
  }
  const weekly = /^\d{4}-W\d{2}$/.test(period)
  if (!PERIOD_ID.test(period) || weekly !== (report === 'weekly')) {
    throw new CompositionError(`${JSON.stringify(period)} is not a ${report} period id`)
  }
}

/**
 * `<hotspot.weekly.2026-W46.CMD-001@police.example>`, `...CMD-001.resend-1@...` for a resend: the same for every
 * composition of the same email.
 */
export function reportMessageId(
  report: ReportKind,
  period: string,
  recipientKey: string,
  senderEmail: string,
  resend = 0,
): string {
  const domain = senderEmail.slice(senderEmail.lastIndexOf('@') + 1).toLowerCase()
  const version = resend > 0 ? `.resend-${resend}` : ''
  return `<hotspot.${report}.${period}.${recipientSegment(recipientKey)}${version}@${domain}>`
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
const CID = /^[A-Za-z0-9._-]+(@[A-Za-z0-9.-]+)?$/

/** Every `cid:` reference in the HTML (in src, background or url()), without the scheme. */
export function cidReferences(html: string): string[] {
  const found = new Set<string>()
  for (const match of html.matchAll(/cid:([^"'\s)>]+)/gi)) {
    const cid = match[1] as string
    try {
      found.add(decodeURIComponent(cid))
    } catch {
      found.add(cid)
    }
  }
  return [...found]
}

/**
 * Composes a rendered report into MIME: multipart/mixed of [multipart/alternative of [text, multipart/related
 * of [html, inline PNGs]], attachments], CRLF line endings, ending in CRLF. Throws HeaderInjectionError for a
 * line break in the subject, a name or an address, and CompositionError for an invalid address, a `cid:`
 * reference without its image (or an image nobody references) or an image that is not a PNG.
 */
export async function composeMessage(
  email: RenderedEmail,
  envelope: ComposeEnvelope,
): Promise<ReportMessage> {
  const { from, to, report, period } = envelope
  assertReportPeriod(report, period)
  assertHeaderSafe(email.subject, 'subject')
  if (email.subject.trim() === '') throw new CompositionError('the subject is empty')
  if (from.name !== undefined) assertHeaderSafe(from.name, 'sender name')
  assertEmailAddress('sender address', from.email)
  assertHeaderSafe(to.name, 'recipient name')
  assertEmailAddress('recipient address', to.email)
  assertHeaderSafe(to.key, 'recipient key')
  if (envelope.replyTo !== undefined) assertEmailAddress('reply-to address', envelope.replyTo)
  if (!(envelope.date instanceof Date) || Number.isNaN(envelope.date.getTime())) {
    throw new CompositionError('the Date is not a valid date')
  }
  const resend = envelope.resend ?? 0
  if (!Number.isSafeInteger(resend) || resend < 0)
    throw new CompositionError(`resend ${resend} is not a count`)
  const messageId = envelope.messageId ?? reportMessageId(report, period, to.key, from.email, resend)
  assertHeaderSafe(messageId, 'Message-ID')
  if (!/^<[^<>\s@]+@[^<>\s@]+>$/.test(messageId)) {
    throw new CompositionError(`Message-ID ${JSON.stringify(messageId)} is not <left@right>`)
  }

  const referenced = cidReferences(email.html)
  const provided = new Set<string>()
  for (const image of email.inlineImages) {
    if (!CID.test(image.cid))
      throw new CompositionError(`inline image cid ${JSON.stringify(image.cid)} is not plain`)
    if (provided.has(image.cid)) throw new CompositionError(`inline image cid ${image.cid} is given twice`)
    provided.add(image.cid)
    assertHeaderSafe(image.filename, `inline image ${image.cid} filename`)
    if (!image.content.subarray(0, 8).equals(PNG_SIGNATURE)) {
      throw new CompositionError(`inline image ${image.cid} is not a PNG`)
    }
    if (!referenced.includes(image.cid)) {
      throw new CompositionError(`inline image ${image.cid} is not referenced from the HTML`)
    }
  }
  const missing = referenced.filter((cid) => !provided.has(cid))
  if (missing.length > 0)
    throw new CompositionError(`the HTML references missing images: cid:${missing.join(', cid:')}`)
  for (const attachment of email.attachments) {
    assertHeaderSafe(attachment.filename, 'attachment filename')
    assertHeaderSafe(attachment.contentType, 'attachment content type')
  }

  // boundaries from a digest of the content: fixed for the same email, and never a string of its parts
  const digest = createHash('sha256')
  for (const part of [email.subject, email.html, email.text]) digest.update(part).update('\0')
  for (const item of [...email.inlineImages, ...email.attachments])
    digest.update(item.filename).update('\0').update(item.content)
  const baseBoundary = digest.digest('hex').slice(0, 24)

  const composer = new MailComposer({
    from: from.name === undefined ? from.email : { name: from.name, address: from.email },
    to: { name: to.name, address: to.email },
    replyTo: envelope.replyTo,
    subject: email.subject,
    messageId,
    date: envelope.date,
    // what the message is, for whoever reads the .eml (the mailers get it as data, ReportMessage)
    headers: {
      'X-Hotspot-Report': `${report} ${period}`,
      'X-Hotspot-Recipient': recipientSegment(to.key),
      ...(resend > 0 ? { 'X-Hotspot-Resend': String(resend) } : {}),
      // RFC 3834: out-of-office and other automatic replies should not answer it
      'Auto-Submitted': 'auto-generated',
    },
    text: email.text,
    html: email.html,
    attachments: [
      ...email.inlineImages.map((image) => ({
        filename: image.filename,
        content: image.content,
        contentType: 'image/png',
        cid: image.cid,
        contentDisposition: 'inline',
      })),
      ...email.attachments.map((attachment) => ({
        filename: attachment.filename,
        content: attachment.content,
        contentType: attachment.contentType,
        contentDisposition: 'attachment',
      })),
    ],
    baseBoundary,
    newline: 'win',
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  let raw = await composer.compile().build()
  if (!raw.subarray(-2).equals(Buffer.from('\r\n'))) raw = Buffer.concat([raw, Buffer.from('\r\n')])
  return {
    report,
    period,
    recipientKey: to.key,
    resend,
    messageId,
    subject: email.subject,
    from: from.email,
    to: [to.email],
    raw,
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}
