import { randomUUID } from 'node:crypto'
import {
  type Clock,
  type Mailer,
  type ObjectStore,
  type ReportMessage,
  SendError,
  type SendFailureKind,
  systemClock,
} from '../ports.ts'
import { type RetryPolicy, type RetryTiming, withRetries } from '../retry.ts'
import { assertReportPeriod, recipientSegment, sha256 } from './compose.ts'
import type { ReportKind } from './model.ts'

/**
 * Exactly-once delivery of one report email per (report, period, recipient), over any ObjectStore and Mailer.
 *
 * Ledger entry `ledger/<report>/<period>/<recipient>.json` (one JSON object, `LedgerEntry`), states:
 *
 *   (none) --conditional create--> sending --put--> sent
 *                                          \--put--> failed
 *   failed (retryable kind) --claim `ledger/<report>/<period>/retries/<recipient>.<n>.json` (conditional
 *          create), then put--> sending (attempt n) --> sent | failed
 *   sent, figures changed, resend asked for --claim `ledger/<report>/<period>/resends/<recipient>.<n>.json`,
 *          then put--> sending (resend n) --> sent | failed
 *
 * 1. Before anything is sent the entry is created in state `sending` with a conditional write (the attempt id,
 *    the Message-ID and the sha256 of the exact bytes). Only the writer that created it may send. Any other
 *    delivery of the same email finds the entry and sends nothing:
 *    - `sent`: reported as `already-sent` when the email composed now is the one sent (see 1b otherwise).
 *    - `sending`: reported as `stuck`. The earlier attempt may be running now or may have crashed after the
 *      mailer took the message but before the entry was updated; this run cannot know, so it neither
 *      resends (which could send twice) nor passes over it in silence.
 *    - `failed` with a permanent kind (`rejected`, `suppressed`, `unknown`: a mailer error that does not say
 *      whether the message went out, `archive-mismatch`): reported again (`failed` or `skipped-suppressed`,
 *      with `previously: true`), never resent.
 *    - `failed` with a retryable kind (`throttled`, `transient`: the in-run retries ran out; `quota-exceeded`:
 *      the run stopped): retried as attempt n+1 by whichever run wins the conditional create of the claim
 *      object for n+1; a run that loses it reports `stuck`. Throttled and transient failures are retried in
 *      at most `maxRetries` later runs, then reported as given up; a quota stop is retried whenever the next
 *      run comes.
 * 1b. A `sent` entry whose sha256 differs from the email composed now (the figures changed since) is reported
 *    as `changed-since-sent` and not sent again, unless a resend is asked for (`resend`: who and why). Resend n
 *    is claimed with a conditional create of `ledger/<report>/<period>/resends/<recipient>.<n>.json` (a run
 *    that loses it reports `stuck`), composed with its own Message-ID, archived under its own key (below), and
 *    recorded in the entry's `resends` with who asked, when, why and the entry it replaced; then as 2 to 4.
 * 2. The exact bytes are archived with a conditional create of `archive/<report>/<period>/<recipient>.eml`
 *    (resend n: `archive/<report>/<period>/resends/<recipient>.<n>.eml`; an archived .eml is never replaced).
 *    An archive that exists already (a retry) must hold the same bytes; if it does not (the email composed
 *    differently this time), nothing is sent and the entry is failed with kind `archive-mismatch`.
 * 3. The mailer sends, retried in this run with backoff (SEND_RETRY) on `throttled` and `transient`.
 * 4. The entry is replaced (`put`) by `sent` (with the mailer's message id) or `failed` (kind and reason). A
 *    `quota-exceeded` failure is recorded and then thrown as QuotaExceededError to stop the run. A crash or a
 *    store failure between 3 and 4 leaves `sending`: the next run reports the email as stuck.
 */

export type FailureKind = SendFailureKind | 'unknown' | 'archive-mismatch'
export type LedgerState = 'sending' | 'sent' | 'failed'

export interface LedgerFailure {
  kind: FailureKind
  reason: string
  /** Whether a later run may send it again (see the file comment). */
  retryable: boolean
}

export interface LedgerEntry {
  version: 1
  report: ReportKind
  period: string
  recipient_key: string
  state: LedgerState
  /** 1 for the first delivery attempt, n for the (n-1)th retry by a later run. */
  attempt: number
  attempt_id: string
  mailer: Mailer['name']
  /** The Message-ID header of the archived message (null if it has none). */
  message_id: string | null
  sha256: string
  bytes: number
  archive_key: string
  started_at: string
  /** Sends tried in this attempt (throttled and transient answers are retried within an attempt). */
  sends_tried?: number
  sent_at?: string
  /** The id the mailer returned: SES's MessageId, the Message-ID for SMTP and the outbox. */
  provider_message_id?: string
  failed_at?: string
  failure?: LedgerFailure
  /** Explicit resends, oldest first (who, when, why, and the entry each replaced). */
  resends?: ResendRecord[]
  /** Earlier failed attempts, oldest first. */
  previous?: {
    attempt: number
    attempt_id: string
    started_at: string
    failed_at?: string
    failure?: LedgerFailure
  }[]
}

interface OutcomeBase {
  report: ReportKind
  period: string
  recipientKey: string
  ledgerKey: string
  archiveKey: string
}

export type DeliveryOutcome = OutcomeBase &
  (
    | {
        state: 'sent'
        messageId: string | null
        providerMessageId: string
        attempt: number
        tries: number
        /** n when this send was the email's nth explicit resend. */
        resend?: number
      }
    | {
        state: 'already-sent'
        messageId: string | null
        providerMessageId?: string
        sentAt?: string
      }
    | {
        /** Sent, but this run composed other bytes (the figures changed since): not sent again unless resent. */
        state: 'changed-since-sent'
        messageId: string | null
        sentAt?: string
        sentSha256: string
        nowSha256: string
        reason: string
      }
    | { state: 'stuck'; attempt: number; startedAt: string; messageId: string | null; reason: string }
    | { state: 'skipped-suppressed'; reason: string; previously: boolean }
    | { state: 'failed'; kind: FailureKind; reason: string; retryable: boolean; previously: boolean }
  )

export type DeliveryStatus = DeliveryOutcome['state']

/** The mailer refused for now for every recipient (daily quota, account paused...): stop the run. */
export class QuotaExceededError extends Error {
  override name = 'QuotaExceededError'
  constructor(
    readonly report: ReportKind,
    readonly period: string,
    readonly recipientKey: string,
    readonly reason: string,
    override readonly cause?: unknown,
  ) {
    super(`sending stopped at ${report} ${period} ${recipientKey}: ${reason}`)
  }
}

/** The mailer took the message but the ledger could not be updated: the entry stays `sending` (stuck). */
export class LedgerUpdateError extends Error {
  override name = 'LedgerUpdateError'
  constructor(
    readonly ledgerKey: string,
    readonly providerMessageId: string,
    override readonly cause?: unknown,
  ) {
    super(
      `sent (${providerMessageId}) but could not record it in ${ledgerKey}: the entry stays 'sending' and is reported as stuck`,
    )
  }
}

/** An explicit resend: who asked for it, and why (kept in the ledger). */
export interface ResendRequest {
  requestedBy: string
  reason: string
}

/** One resend in a ledger entry's history. */
export interface ResendRecord {
  resend: number
  requested_by: string
  requested_at: string
  reason: string
  /** The entry as it was before the resend: the message sent before (its Message-ID, sha256, archive key). */
  replaced: Omit<LedgerEntry, 'resends'>
}

export interface DeliverInput {
  store: ObjectStore
  mailer: Mailer
  clock?: Clock
  report: ReportKind
  period: string
  recipientKey: string
  /**
   * The email as composed now: as first sent (0), or as its nth resend (its own Message-ID), compared with the
   * version last sent and composed again for a resend.
   */
  compose: (resend: number) => Promise<ReportMessage>
  /** Send again where the email sent before differs from the one composed now (the figures changed). */
  resend?: ResendRequest
  /**
   * Sends tried in this run, and the waits between them, before a throttled or transient failure is recorded
   * (default SEND_RETRY: 5 sends, waits of up to 1 s doubling to 30 s).
   */
  sendRetry?: Partial<RetryPolicy>
  /** Later runs that may retry a throttled or transient failure (default 3). */
  maxRetries?: number
  /** Test seams: waiting between sends, and the jitter source. */
  timing?: Partial<RetryTiming>
  /** Attempt ids (default: random UUIDs). */
  newAttemptId?: () => string
}

const RETRYABLE: ReadonlySet<FailureKind> = new Set(['throttled', 'transient', 'quota-exceeded'])
/** Failures that count towards `maxRetries` (a quota stop says nothing about this recipient). */
const COUNTED: ReadonlySet<FailureKind> = new Set(['throttled', 'transient'])

/** Sends of one email in one run: a throttled or transient failure is tried again after a wait. */
export const SEND_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 }

/** A failure that another send in this run may not meet. */
const retriedInRun = (error: unknown) =>
  error instanceof SendError && (error.kind === 'throttled' || error.kind === 'transient')

export function ledgerKey(report: ReportKind, period: string, recipientKey: string): string {
  return `ledger/${report}/${period}/${recipientSegment(recipientKey)}.json`
}

/**
 * `<report>/<period>/<recipient>.eml` for an email as first sent; its nth resend under
 * `<report>/<period>/resends/<recipient>.<n>.eml`, a name of its own: the archive's layout, and the outbox's.
 */
export function emlPath(report: ReportKind, period: string, recipientKey: string, resend = 0): string {
  const segment = recipientSegment(recipientKey)
  return resend === 0
    ? `${report}/${period}/${segment}.eml`
    : `${report}/${period}/resends/${segment}.${resend}.eml`
}

/** Where the exact bytes of an email are archived (emlPath): never replaced (Object Lock in AWS). */
export function archiveKey(report: ReportKind, period: string, recipientKey: string, resend = 0): string {
  return `archive/${emlPath(report, period, recipientKey, resend)}`
}

/** The object whose conditional create claims resend number `resend` of an email, and logs who asked and why. */
export function resendClaimKey(
  report: ReportKind,
  period: string,
  recipientKey: string,
  resend: number,
): string {
  return `ledger/${report}/${period}/resends/${recipientSegment(recipientKey)}.${resend}.json`
}

/** The object whose conditional create claims retry attempt `attempt` of a failed delivery. */
export function retryClaimKey(
  report: ReportKind,
  period: string,
  recipientKey: string,
  attempt: number,
): string {
  return `ledger/${report}/${period}/retries/${recipientSegment(recipientKey)}.${attempt}.json`
}

const toJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`

async function readEntry(store: ObjectStore, key: string): Promise<LedgerEntry> {
  const entry = JSON.parse((await store.getBytes(key)).toString('utf8')) as LedgerEntry
  if (entry?.version !== 1 || !['sending', 'sent', 'failed'].includes(entry.state)) {
    throw new Error(`${key} is not a ledger entry this version understands`)
  }
  return entry
}

/** The ledger entry of one email, or undefined when none was ever attempted. */
export async function ledgerState(
  store: ObjectStore,
  report: ReportKind,
  period: string,
  recipientKey: string,
): Promise<LedgerEntry | undefined> {
  assertReportPeriod(report, period)
  const key = ledgerKey(report, period, recipientKey)
  if (!(await store.exists(key))) return undefined
  return readEntry(store, key)
}

/** Every ledger entry of a report period, in key order. */
export async function listLedger(
  store: ObjectStore,
  report: ReportKind,
  period: string,
): Promise<LedgerEntry[]> {
  assertReportPeriod(report, period)
  const prefix = `ledger/${report}/${period}/`
  const entries: LedgerEntry[] = []
  for await (const { key } of store.list(prefix)) {
    const rest = key.slice(prefix.length)
    if (!rest.includes('/') && rest.endsWith('.json')) entries.push(await readEntry(store, key))
  }
  return entries
}

export interface LedgerProblems {
  /**
   * `sending`, or a failed entry whose retry (or a sent entry whose resend) was claimed and never recorded:
   * outcome unknown, not resent.
   */
  stuck: LedgerEntry[]
  /** Failed entries, suppressed addresses among them (see `failure.kind` and `failure.retryable`). */
  failed: LedgerEntry[]
}

/** What a run summary must report for a period: stuck and failed deliveries. */
export async function ledgerProblems(
  store: ObjectStore,
  report: ReportKind,
  period: string,
): Promise<LedgerProblems> {
  const claims = new Set<string>()
  for (const folder of ['retries', 'resends'])
    for await (const { key } of store.list(`ledger/${report}/${period}/${folder}/`)) claims.add(key)
  const problems: LedgerProblems = { stuck: [], failed: [] }
  for (const entry of await listLedger(store, report, period)) {
    const resend = (entry.resends?.length ?? 0) + 1
    if (entry.state === 'sending') problems.stuck.push(entry)
    else if (entry.state === 'sent') {
      if (claims.has(resendClaimKey(report, period, entry.recipient_key, resend))) problems.stuck.push(entry)
    } else if (entry.state === 'failed') {
      const claimed = claims.has(retryClaimKey(report, period, entry.recipient_key, entry.attempt + 1))
      ;(claimed ? problems.stuck : problems.failed).push(entry)
    }
  }
  return problems
}

/** Sends the email at most once for (report, period, recipient), or once more on request, and records it (see above). */
export async function deliver(input: DeliverInput): Promise<DeliveryOutcome> {
  const { store, mailer, report, period, recipientKey } = input
  const clock = input.clock ?? systemClock
  const sendRetry = { ...SEND_RETRY, ...input.sendRetry }
  const maxRetries = input.maxRetries ?? 3
  const newAttemptId = input.newAttemptId ?? randomUUID
  assertReportPeriod(report, period)
  const compose = async (resend: number) => {
    const composed = await input.compose(resend)
    checkMessageFor(composed, report, period, recipientKey)
    return composed
  }

  const key = ledgerKey(report, period, recipientKey)
  const baseOf = (resend: number): OutcomeBase => ({
    report,
    period,
    recipientKey,
    ledgerKey: key,
    archiveKey: archiveKey(report, period, recipientKey, resend),
  })
  const fresh = (attempt: number, composed: ReportMessage, resend: number): LedgerEntry => ({
    version: 1,
    report,
    period,
    recipient_key: recipientKey,
    state: 'sending',
    attempt,
    attempt_id: newAttemptId(),
    mailer: mailer.name,
    message_id: composed.messageId,
    sha256: sha256(composed.raw),
    bytes: composed.raw.length,
    archive_key: baseOf(resend).archiveKey,
    started_at: clock.now().toISOString(),
  })

  // 1. claim the email: only the creator of the entry (or of a retry or resend claim) sends
  let message = await compose(0)
  let resend = 0
  let entry = fresh(1, message, resend)
  if ((await store.create(key, toJson(entry), { contentType: 'application/json' })) === 'exists') {
    const existing = await readEntry(store, key)
    // compare with the version last sent (a resent email differs from the first in its Message-ID)
    resend = existing.resends?.length ?? 0
    if (resend > 0) message = await compose(resend)
    const digest = sha256(message.raw)
    const changed = existing.state === 'sent' && existing.sha256 !== digest
    if (changed && input.resend) {
      // an explicit resend: claimed with a conditional create so that one run makes it, logged in the entry
      resend++
      message = await compose(resend)
      entry = fresh(existing.attempt + 1, message, resend)
      const { resends: _, ...replaced } = existing
      const record: ResendRecord = {
        resend,
        requested_by: input.resend.requestedBy,
        requested_at: entry.started_at,
        reason: input.resend.reason,
        replaced,
      }
      const claimKey = resendClaimKey(report, period, recipientKey, resend)
      if ((await store.create(claimKey, toJson(record), { contentType: 'application/json' })) === 'exists') {
        const other = JSON.parse((await store.getBytes(claimKey)).toString('utf8')) as ResendRecord
        return {
          ...baseOf(resend),
          state: 'stuck',
          attempt: entry.attempt,
          startedAt: other.requested_at,
          messageId: existing.message_id,
          reason: `resend ${resend} was claimed by ${other.requested_by} at ${other.requested_at} and has not been recorded`,
        }
      }
      entry.resends = [...(existing.resends ?? []), record]
    } else {
      const earlier = changed
        ? changedSinceSent(baseOf(resend), existing, digest)
        : reportExisting(baseOf(resend), existing, maxRetries)
      if (earlier) return earlier
      // a retryable failure: a later attempt, claimed with a conditional create so that one run makes it
      const attempt = existing.attempt + 1
      entry = fresh(attempt, message, resend)
      const claimKey = retryClaimKey(report, period, recipientKey, attempt)
      const claim = { attempt, attempt_id: entry.attempt_id, claimed_at: entry.started_at }
      if ((await store.create(claimKey, toJson(claim), { contentType: 'application/json' })) === 'exists') {
        const other = JSON.parse((await store.getBytes(claimKey)).toString('utf8')) as typeof claim
        return {
          ...baseOf(resend),
          state: 'stuck',
          attempt,
          startedAt: other.claimed_at,
          messageId: existing.message_id,
          reason: `retry attempt ${attempt} was claimed by ${other.attempt_id} at ${other.claimed_at} and has not been recorded`,
        }
      }
      entry.previous = [
        ...(existing.previous ?? []),
        {
          attempt: existing.attempt,
          attempt_id: existing.attempt_id,
          started_at: existing.started_at,
          failed_at: existing.failed_at,
          failure: existing.failure,
        },
      ]
      if (existing.resends) entry.resends = existing.resends
    }
    await store.put(key, toJson(entry), { contentType: 'application/json' })
  }
  const base = baseOf(resend)
  const digest = entry.sha256

  const record = async (failure: LedgerFailure, tries: number) => {
    entry = { ...entry, state: 'failed', sends_tried: tries, failed_at: clock.now().toISOString(), failure }
    await store.put(key, toJson(entry), { contentType: 'application/json' })
  }

  // 2. archive the exact bytes (a store that fails here stops the run; nothing was sent, so a rerun retries)
  let archived: 'created' | 'exists'
  try {
    archived = await store.create(base.archiveKey, message.raw, { contentType: 'message/rfc822' })
  } catch (error) {
    const reason = `not sent: could not archive ${base.archiveKey}: ${error instanceof Error ? error.message : String(error)}`
    await record({ kind: 'transient', reason, retryable: true }, 0).catch(() => undefined)
    throw error
  }
  if (archived === 'exists') {
    const archivedDigest = sha256(await store.getBytes(base.archiveKey))
    if (archivedDigest !== digest) {
      const reason = `${base.archiveKey} holds a different message (sha256 ${archivedDigest}, this one ${digest}); not sent`
      await record({ kind: 'archive-mismatch', reason, retryable: false }, 0)
      return {
        ...base,
        state: 'failed',
        kind: 'archive-mismatch',
        reason,
        retryable: false,
        previously: false,
      }
    }
  }

  // 3. send, retrying throttled and transient failures in this run
  let sent: { messageId: string }
  let tries = 0
  try {
    sent = await withRetries(
      (attempt) => {
        tries = attempt
        return mailer.send(message)
      },
      sendRetry,
      retriedInRun,
      input.timing,
    )
  } catch (error) {
    if (error instanceof SendError) {
      const failure: LedgerFailure = {
        kind: error.kind,
        reason: error.message,
        retryable: RETRYABLE.has(error.kind),
      }
      await record(failure, tries)
      if (error.kind === 'quota-exceeded') {
        throw new QuotaExceededError(report, period, recipientKey, error.message, error)
      }
      if (error.kind === 'suppressed') {
        return { ...base, state: 'skipped-suppressed', reason: error.message, previously: false }
      }
      return { ...base, state: 'failed', ...failure, previously: false }
    }
    // the mailer cannot say whether the message went out: recorded, reported, never resent
    const reason = `outcome unknown: ${error instanceof Error ? error.message : String(error)}`
    await record({ kind: 'unknown', reason, retryable: false }, tries)
    return { ...base, state: 'failed', kind: 'unknown', reason, retryable: false, previously: false }
  }

  // 4. record the send
  entry = {
    ...entry,
    state: 'sent',
    sends_tried: tries,
    sent_at: clock.now().toISOString(),
    provider_message_id: sent.messageId,
  }
  try {
    await store.put(base.ledgerKey, toJson(entry), { contentType: 'application/json' })
  } catch (error) {
    throw new LedgerUpdateError(base.ledgerKey, sent.messageId, error)
  }
  return {
    ...base,
    state: 'sent',
    messageId: entry.message_id,
    providerMessageId: sent.messageId,
    attempt: entry.attempt,
    tries,
    ...(resend > 0 ? { resend } : {}),
  }
}

/** A sent email whose figures differ now: reported, not sent again unless a resend is asked for. */
function changedSinceSent(base: OutcomeBase, existing: LedgerEntry, digest: string): DeliveryOutcome {
  return {
    ...base,
    state: 'changed-since-sent',
    messageId: existing.message_id,
    sentAt: existing.sent_at,
    sentSha256: existing.sha256,
    nowSha256: digest,
    reason: `sent${existing.sent_at ? ` at ${existing.sent_at}` : ''} with other figures (sha256 ${existing.sha256}); composed now: sha256 ${digest}. Not sent again: resend it explicitly to send the new figures`,
  }
}

/** The outcome for an email whose entry exists, or undefined when a later run should retry it. */
function reportExisting(
  base: OutcomeBase,
  existing: LedgerEntry,
  maxRetries: number,
): DeliveryOutcome | undefined {
  switch (existing.state) {
    case 'sent':
      return {
        ...base,
        state: 'already-sent',
        messageId: existing.message_id,
        providerMessageId: existing.provider_message_id,
        sentAt: existing.sent_at,
      }
    case 'sending':
      return {
        ...base,
        state: 'stuck',
        attempt: existing.attempt,
        startedAt: existing.started_at,
        messageId: existing.message_id,
        reason: `attempt ${existing.attempt} (${existing.attempt_id}) started at ${existing.started_at} and has not recorded an outcome: it may have been sent`,
      }
    case 'failed': {
      const failure: LedgerFailure = existing.failure ?? {
        kind: 'unknown',
        reason: 'no reason recorded',
        retryable: false,
      }
      if (failure.kind === 'suppressed') {
        return { ...base, state: 'skipped-suppressed', reason: failure.reason, previously: true }
      }
      const counted = [...(existing.previous ?? []).map((p) => p.failure), failure].filter(
        (f) => f !== undefined && COUNTED.has(f.kind),
      ).length
      if (!failure.retryable || !RETRYABLE.has(failure.kind)) {
        return { ...base, state: 'failed', ...failure, retryable: false, previously: true }
      }
      if (COUNTED.has(failure.kind) && counted > maxRetries) {
        return {
          ...base,
          state: 'failed',
          kind: failure.kind,
          reason: `gave up after ${counted} failed attempts; last: ${failure.reason}`,
          retryable: false,
          previously: true,
        }
      }
      return undefined
    }
  }
}

/** A message composed for another email must not be delivered under this one's ledger entry. */
function checkMessageFor(
  message: ReportMessage,
  report: ReportKind,
  period: string,
  recipientKey: string,
): void {
  if (message.report !== report || message.period !== period) {
    throw new Error(`the message is for ${message.report} ${message.period}, not ${report} ${period}`)
  }
  if (message.recipientKey !== recipientKey) {
    throw new Error(
      `the message is for recipient ${JSON.stringify(message.recipientKey)}, not ${JSON.stringify(recipientKey)}`,
    )
  }
}
