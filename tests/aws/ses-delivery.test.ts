import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { SesMailer } from '../../functions/adapters/ses-mailer.ts'
import { fixedClock, type ReportMessage } from '../../functions/core/ports.ts'
import { composeMessage } from '../../functions/core/reports/compose.ts'
import {
  type DeliveryOutcome,
  deliver,
  ledgerProblems,
  ledgerState,
  QuotaExceededError,
} from '../../functions/core/reports/delivery.ts'
import type { Recipient } from '../../functions/core/reports/model.ts'
import { COMMANDER, envelope, kindOf, renderedEmail } from '../unit/helpers/mail-fixtures.ts'
import { SES_ERRORS, SesEndpoint, type SesErrorCode } from './ses-endpoint.ts'

/**
 * The real SesMailer (through the AWS SDK's HTTP stack, SigV4 and restJson1 parsing) and delivery's ledger on the
 * filesystem ObjectStore, against a local SES v2 endpoint that accepts, throttles, rejects and resets.
 */

const REGION = 'eu-west-2'
const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' }
const REPORT = 'weekly'
const PERIOD = '2026-W46'

const commanders: Recipient[] = [1, 2, 3].map((n) => ({
  ...COMMANDER,
  key: `CMD-00${n}`,
  email: `commander${n}@force.police.example`,
}))

let ses: SesEndpoint
const messages = new Map<string, ReportMessage>()

beforeAll(async () => {
  ses = await SesEndpoint.start()
  for (const to of commanders) messages.set(to.key, await composeMessage(renderedEmail(), envelope({ to })))
})
afterAll(() => ses?.close())

/** A send SES never answers is given up after this long here (SES_REQUEST_TIMEOUT_MS in production). */
const TEST_REQUEST_TIMEOUT_MS = 400

const mailer = () =>
  new SesMailer({
    clientConfig: { endpoint: ses.url, region: REGION, credentials: CREDENTIALS },
    configurationSet: 'hotspot-reports',
    requestTimeoutMs: TEST_REQUEST_TIMEOUT_MS,
  })

const messageFor = (recipient: Recipient): ReportMessage => {
  const message = messages.get(recipient.key)
  if (message === undefined) throw new Error(`no message for ${recipient.key}`)
  return message
}

describe('SesMailer against the local SES v2 endpoint', () => {
  beforeEach(() => ses.clear())

  it('sends SendEmail as the API reference says: raw bytes in base64, envelope, configuration set, signed', async () => {
    const [first] = commanders as [Recipient]
    const message = messageFor(first)
    const result = await mailer().send(message)
    expect(ses.requests).toHaveLength(1)
    const [request] = ses.requests
    expect(request).toMatchObject({
      method: 'POST',
      path: '/v2/email/outbound-emails',
      outcome: 'accepted',
      from: 'reports@force.police.example',
      to: [first.email],
      configurationSet: 'hotspot-reports',
    })
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/\\d{8}/${REGION}/ses/aws4_request,`),
    )
    expect(request?.body?.Destination).toEqual({ ToAddresses: [first.email] })
    expect(Object.keys(request?.body?.Content ?? {})).toEqual(['Raw'])
    expect(request?.raw?.equals(message.raw)).toBe(true)
    expect(result).toEqual({ messageId: request?.messageId })
  })

  it.each([
    ['throttle', 'throttled'],
    ['reject', 'rejected'],
    [{ error: 'LimitExceededException' }, 'quota-exceeded'],
    [{ error: 'SendingPausedException' }, 'quota-exceeded'],
    [{ error: 'AccountSuspendedException' }, 'quota-exceeded'],
    [{ error: 'MailFromDomainNotVerifiedException' }, 'quota-exceeded'],
    [
      { error: 'NotFoundException', message: 'Configuration set <hotspot> does not exist.' },
      'quota-exceeded',
    ],
    [{ error: 'BadRequestException', message: 'Illegal address' }, 'rejected'],
    [{ error: 'BadRequestException', message: 'Address is on the suppression list' }, 'suppressed'],
    [{ error: 'InternalServiceErrorException' }, 'transient'],
  ] as const)(
    'answers %j: the SDK parses it and the mailer maps it to %s, in one request',
    async (step, kind) => {
      const [first] = commanders as [Recipient]
      ses.plan(step)
      expect(await kindOf(mailer().send(messageFor(first)))).toBe(kind)
      expect(ses.requests).toHaveLength(1)
      if (typeof step === 'object') {
        expect(ses.requests[0]?.errorCode).toBe(step.error)
        expect(SES_ERRORS[step.error as SesErrorCode]).toBeGreaterThanOrEqual(400)
      }
    },
  )

  it('leaves a reset after the request unclassified (SES may have taken it), after exactly one request', async () => {
    const [first] = commanders as [Recipient]
    ses.plan('reset-after-request')
    expect(await kindOf(mailer().send(messageFor(first)))).toMatch(/^unclassified: .*socket hang up/)
    expect(ses.requests.map((r) => r.outcome)).toEqual(['reset'])
  })

  it('gives up on a request SES never answers after its timeout, unclassified (SES may have taken it), after one request', async () => {
    const [first] = commanders as [Recipient]
    ses.plan('hang-after-request')
    const started = performance.now()
    expect(await kindOf(mailer().send(messageFor(first)))).toMatch(/^unclassified: .*requestTimeout/)
    expect(performance.now() - started).toBeGreaterThanOrEqual(TEST_REQUEST_TIMEOUT_MS - 5)
    expect(ses.requests.map((r) => r.outcome)).toEqual(['hung'])
  })

  it('why: a client with the SDK default retries sends a reset request three times; the mailer strips them', async () => {
    const [first] = commanders as [Recipient]
    const sdkDefaults = () =>
      new SESv2Client({ endpoint: ses.url, region: REGION, credentials: CREDENTIALS, maxAttempts: 3 })
    const input = {
      FromEmailAddress: first.email,
      Destination: { ToAddresses: [first.email] },
      Content: { Raw: { Data: messageFor(first).raw } },
    }
    ses.setDefault('reset-after-request')
    // the SDK alone: the reset is retried as a transient network error (ECONNRESET)
    const error = await sdkDefaults()
      .send(new SendEmailCommand(input))
      .catch((e: unknown) => e as { code?: string; $metadata?: { attempts?: number } })
    expect(error).toMatchObject({ code: 'ECONNRESET', $metadata: { attempts: 3 } })
    expect(ses.requests.map((r) => r.outcome)).toEqual(['reset', 'reset', 'reset'])
    // the same client given to the mailer: one request
    ses.requests.length = 0
    const mailerOverIt = new SesMailer({ client: sdkDefaults() })
    expect(await kindOf(mailerOverIt.send(messageFor(first)))).toMatch(/^unclassified/)
    expect(ses.requests.map((r) => r.outcome)).toEqual(['reset'])
  })

  it('maps a refused connection to transient: nothing reached SES', async () => {
    const closed = await SesEndpoint.start()
    await closed.close()
    const refused = new SesMailer({
      clientConfig: { endpoint: closed.url, region: REGION, credentials: CREDENTIALS },
    })
    expect(await kindOf(refused.send(messageFor(commanders[0] as Recipient)))).toBe('transient')
  })
})

describe('delivery over SES: exactly once per recipient', () => {
  let dir: string
  let store: FsObjectStore
  /** Real sleeps (short backoff), recorded. */
  const waits: number[] = []
  beforeEach(async () => {
    ses.clear()
    waits.length = 0
    dir = await mkdtemp(path.join(tmpdir(), 'hotspot-ses-endpoint-'))
    store = new FsObjectStore(dir)
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  /** Waits of half their ceiling: 40 ms, then 80. */
  const timing = {
    random: () => 0.5,
    sleep: async (ms: number) => {
      waits.push(ms)
      await new Promise((resolve) => setTimeout(resolve, ms))
    },
  }

  const send = (recipient: Recipient, options: { attempts?: number } = {}) =>
    deliver({
      store,
      mailer: mailer(),
      clock: fixedClock('2026-11-16T07:00:00Z'),
      report: REPORT,
      period: PERIOD,
      recipientKey: recipient.key,
      compose: async () => messageFor(recipient),
      sendRetry: { baseDelayMs: 80, ...options },
      timing,
    })

  /** One run: every commander in turn, as sendReports does. */
  async function run(): Promise<Map<string, DeliveryOutcome>> {
    const outcomes = new Map<string, DeliveryOutcome>()
    for (const recipient of commanders) outcomes.set(recipient.key, await send(recipient))
    return outcomes
  }

  it('sends each recipient one email, records the MessageId, and a second run sends nothing', async () => {
    const first = await run()
    expect(ses.requests.map((r) => [r.to, r.outcome])).toEqual(commanders.map((c) => [[c.email], 'accepted']))
    for (const [index, recipient] of commanders.entries()) {
      const request = ses.requests[index]
      expect(request?.raw?.equals(messageFor(recipient).raw)).toBe(true)
      expect(first.get(recipient.key)).toMatchObject({
        state: 'sent',
        tries: 1,
        attempt: 1,
        providerMessageId: request?.messageId,
      })
      expect(await ledgerState(store, REPORT, PERIOD, recipient.key)).toMatchObject({
        state: 'sent',
        mailer: 'ses',
        sends_tried: 1,
        provider_message_id: request?.messageId,
      })
    }

    const second = await run()
    expect(ses.requests).toHaveLength(commanders.length)
    for (const [index, recipient] of commanders.entries()) {
      expect(second.get(recipient.key)).toMatchObject({
        state: 'already-sent',
        providerMessageId: ses.requests[index]?.messageId,
      })
    }
    expect(await ledgerProblems(store, REPORT, PERIOD)).toEqual({ stuck: [], failed: [] })
  })

  it('retries throttling with its own backoff, and SES sees exactly those retries before one send', async () => {
    const [target] = commanders as [Recipient]
    ses.planFor(target.email, 'throttle', 'throttle')
    const outcome = await send(target)
    expect(outcome).toMatchObject({ state: 'sent', tries: 3 })
    // three requests (no SDK retry inside a send), the waits delivery chose between them
    const requests = ses.requestsTo(target.email)
    expect(requests.map((r) => r.outcome)).toEqual(['throttled', 'throttled', 'accepted'])
    expect(requests.map((r) => r.errorCode)).toEqual([
      'TooManyRequestsException',
      'TooManyRequestsException',
      undefined,
    ])
    expect(waits).toEqual([40, 80])
    const gaps = requests.slice(1).map((r, i) => r.at - (requests[i]?.at ?? 0))
    // a timer fires no earlier than its delay (give 2 ms for clock rounding)
    expect(gaps[0]).toBeGreaterThanOrEqual(40 - 2)
    expect(gaps[1]).toBeGreaterThanOrEqual(80 - 2)
    expect(ses.mayHaveSent(target.email)).toHaveLength(1)
    expect(await ledgerState(store, REPORT, PERIOD, target.key)).toMatchObject({
      state: 'sent',
      sends_tried: 3,
      provider_message_id: requests[2]?.messageId,
    })
  })

  it('throttling that outlasts the in-run retries is recorded as retryable; the next run sends it once', async () => {
    const [target] = commanders as [Recipient]
    ses.setDefault('throttle')
    expect(await send(target, { attempts: 3 })).toMatchObject({
      state: 'failed',
      kind: 'throttled',
      retryable: true,
    })
    expect(ses.requests.map((r) => r.outcome)).toEqual(['throttled', 'throttled', 'throttled'])
    expect(waits).toEqual([40, 80])
    expect(await ledgerState(store, REPORT, PERIOD, target.key)).toMatchObject({
      state: 'failed',
      sends_tried: 3,
      failure: { kind: 'throttled', retryable: true },
    })
    ses.setDefault('accept')
    expect(await send(target)).toMatchObject({ state: 'sent', attempt: 2, tries: 1 })
    expect(ses.requests.map((r) => r.outcome)).toEqual(['throttled', 'throttled', 'throttled', 'accepted'])
    expect(await send(target)).toMatchObject({ state: 'already-sent' })
    expect(ses.requests).toHaveLength(4)
  })

  it('records a rejection as failed with the reason, does not retry it, and the others are still sent', async () => {
    const [, target] = commanders as [Recipient, Recipient]
    ses.planFor(target.email, 'reject')
    const first = await run()
    expect(first.get(target.key)).toMatchObject({
      state: 'failed',
      kind: 'rejected',
      retryable: false,
      previously: false,
    })
    const reason = (first.get(target.key) as { reason: string }).reason
    expect(reason).toContain('MessageRejected')
    expect(reason).toContain('Email address is not verified')
    expect(ses.requestsTo(target.email).map((r) => r.outcome)).toEqual(['rejected'])
    expect(ses.mayHaveSent()).toHaveLength(commanders.length - 1)
    expect(await ledgerState(store, REPORT, PERIOD, target.key)).toMatchObject({
      state: 'failed',
      sends_tried: 1,
      failure: { kind: 'rejected', retryable: false, reason },
    })

    // a rerun reports it again and sends nothing
    const second = await run()
    expect(second.get(target.key)).toMatchObject({ state: 'failed', kind: 'rejected', previously: true })
    expect(ses.requests).toHaveLength(commanders.length)
    const problems = await ledgerProblems(store, REPORT, PERIOD)
    expect(problems.stuck).toEqual([])
    expect(problems.failed.map((e) => e.recipient_key)).toEqual([target.key])
  })

  it('records a reset after the request as unknown after ONE request, reports it, and never resends it', async () => {
    const [, , target] = commanders as [Recipient, Recipient, Recipient]
    ses.planFor(target.email, 'reset-after-request')
    const first = await run()
    expect(first.get(target.key)).toMatchObject({
      state: 'failed',
      kind: 'unknown',
      retryable: false,
      previously: false,
    })
    expect((first.get(target.key) as { reason: string }).reason).toMatch(/^outcome unknown: .*socket hang up/)
    // exactly one request for it: neither the SDK nor delivery retried the reset
    const requests = ses.requestsTo(target.email)
    expect(requests.map((r) => r.outcome)).toEqual(['reset'])
    expect(requests[0]?.raw?.equals(messageFor(target).raw)).toBe(true)
    expect(waits).toEqual([])
    expect(await ledgerState(store, REPORT, PERIOD, target.key)).toMatchObject({
      state: 'failed',
      sends_tried: 1,
      failure: { kind: 'unknown', retryable: false },
    })
    const problems = await ledgerProblems(store, REPORT, PERIOD)
    expect(problems.failed.map((e) => [e.recipient_key, e.failure?.kind])).toEqual([[target.key, 'unknown']])

    // the endpoint now accepts everything: a rerun (and another) reports it as before and sends nothing
    for (let rerun = 0; rerun < 2; rerun++) {
      const again = await run()
      expect(again.get(target.key)).toMatchObject({ state: 'failed', kind: 'unknown', previously: true })
      for (const other of commanders.filter((c) => c !== target)) {
        expect(again.get(other.key)).toMatchObject({ state: 'already-sent' })
      }
    }
    expect(ses.requestsTo(target.email)).toHaveLength(1)
    expect(ses.requests).toHaveLength(commanders.length)
    expect(await ledgerState(store, REPORT, PERIOD, target.key)).toMatchObject({
      state: 'failed',
      attempt: 1,
    })
  })

  it('records a send SES never answers as unknown after its timeout, goes on with the others, and never resends it', async () => {
    const [first, target, last] = commanders as [Recipient, Recipient, Recipient]
    ses.planFor(target.email, 'hang-after-request')
    const outcomes = await run()
    expect(outcomes.get(target.key)).toMatchObject({ state: 'failed', kind: 'unknown', retryable: false })
    expect((outcomes.get(target.key) as { reason: string }).reason).toMatch(
      /^outcome unknown: .*requestTimeout/,
    )
    // the recipients after it were still sent
    for (const other of [first, last]) expect(outcomes.get(other.key)).toMatchObject({ state: 'sent' })
    expect(ses.requestsTo(target.email).map((r) => r.outcome)).toEqual(['hung'])
    const again = await run()
    expect(again.get(target.key)).toMatchObject({ state: 'failed', kind: 'unknown', previously: true })
    expect(ses.requestsTo(target.email)).toHaveLength(1)
  })

  it('stops the run on the daily quota; a later run sends the rest, each once', async () => {
    const [, target] = commanders as [Recipient, Recipient]
    ses.planFor(target.email, { error: 'LimitExceededException' })
    const stopped = await run().catch((error: unknown) => error)
    expect(stopped).toBeInstanceOf(QuotaExceededError)
    expect((stopped as QuotaExceededError).recipientKey).toBe(target.key)
    // the first was sent, the second refused, the third never tried
    expect(ses.requests.map((r) => r.outcome)).toEqual(['accepted', 'error'])
    const second = await run()
    expect([...second.values()].map((o) => o.state)).toEqual(['already-sent', 'sent', 'sent'])
    expect(second.get(target.key)).toMatchObject({ attempt: 2 })
    expect(ses.mayHaveSent().map((r) => r.to[0])).toEqual(commanders.map((c) => c.email))
  })
})
