import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  AccountSuspendedException,
  BadRequestException,
  InternalServiceErrorException,
  LimitExceededException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SESv2ServiceException,
  SendEmailCommand,
  SendingPausedException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { OutboxMailer, writePreview } from '../../functions/adapters/outbox-mailer.ts'
import { classifySesError, SesMailer } from '../../functions/adapters/ses-mailer.ts'
import { classifySmtpError, SmtpMailer } from '../../functions/adapters/smtp-mailer.ts'
import { fixedClock, type ReportMessage } from '../../functions/core/ports.ts'
import { composeMessage } from '../../functions/core/reports/compose.ts'
import { deliver, ledgerState, QuotaExceededError } from '../../functions/core/reports/delivery.ts'
import { COMMANDER, envelope, kindOf, renderedEmail } from './helpers/mail-fixtures.ts'
import { SmtpSink } from './helpers/smtp-sink.ts'

const MESSAGE_ID = '<hotspot.weekly.2026-W46.CMD-001@force.police.example>'

describe('SmtpMailer against a real SMTP server on loopback', () => {
  let sink: SmtpSink
  let message: ReportMessage
  let mailer: SmtpMailer

  beforeAll(async () => {
    sink = await SmtpSink.start()
    message = await composeMessage(renderedEmail(), envelope())
  })
  afterAll(() => sink.close())
  beforeEach(() => {
    sink.clear()
    mailer = new SmtpMailer(sink.url)
  })
  afterEach(() => mailer.close())

  it('delivers the raw bytes unchanged to the envelope recipient and returns the Message-ID', async () => {
    // the text part has a line starting with '.', which SMTP dot-stuffs on the wire
    expect(message.raw.toString('latin1')).toContain('\r\n.a line starting with a dot\r\n')
    const result = await mailer.send(message)
    expect(result).toEqual({ messageId: MESSAGE_ID })
    expect(sink.messages).toHaveLength(1)
    const [received] = sink.messages
    expect(received?.from).toBe('reports@force.police.example')
    expect(received?.to).toEqual(['jane.oneil@force.police.example'])
    expect(received?.raw.equals(message.raw)).toBe(true)
  })

  it('maps a 550 for the recipient to suppressed', async () => {
    sink.rejectRecipient(COMMANDER.email)
    expect(await kindOf(mailer.send(message))).toBe('suppressed')
    expect(sink.messages).toHaveLength(0)
  })

  it('maps a 451 to transient, and the next send goes through', async () => {
    sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' }, COMMANDER.email)
    expect(await kindOf(mailer.send(message))).toBe('transient')
    expect(sink.messages).toHaveLength(0)
    await mailer.send(message)
    expect(sink.messages).toHaveLength(1)
  })

  it('maps a 421 at the data to transient and a 554 to rejected', async () => {
    sink.failNext('END', { code: 421, text: '4.7.0 Closing' })
    expect(await kindOf(mailer.send(message))).toBe('transient')
    sink.failNext('END', { code: 554, text: '5.7.1 Message content rejected' })
    expect(await kindOf(mailer.send(message))).toBe('rejected')
    expect(sink.messages).toHaveLength(0)
  })

  it('stops the run (quota-exceeded) when the sender is refused', async () => {
    sink.failNext('MAIL', { code: 553, text: '5.7.1 Sender not allowed' })
    expect(await kindOf(mailer.send(message))).toBe('quota-exceeded')
  })

  it('leaves a connection lost after the data unclassified: the message may have gone out', async () => {
    sink.failNext('END', 'drop')
    expect(await kindOf(mailer.send(message))).toMatch(/^unclassified/)
    expect(sink.messages).toHaveLength(1)
  })

  it('maps a refused connection to transient', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as { port: number }
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    expect(await kindOf(new SmtpMailer(`smtp://127.0.0.1:${port}`).send(message))).toBe('transient')
  })

  it('classifies SMTP errors by reply code and stage', () => {
    const kind = (e: object) => classifySmtpError(Object.assign(new Error('x'), e))?.kind
    expect(kind({ responseCode: 450, command: 'RCPT TO', response: '450 4.2.1 Mailbox busy' })).toBe(
      'transient',
    )
    expect(kind({ responseCode: 550, command: 'RCPT TO', response: '550 5.1.1 No such user' })).toBe(
      'suppressed',
    )
    expect(kind({ responseCode: 554, command: 'RCPT TO', response: '554 5.1.1 Unknown user' })).toBe(
      'suppressed',
    )
    expect(kind({ responseCode: 552, command: 'RCPT TO', response: '552 5.3.4 Too big' })).toBe('rejected')
    expect(kind({ responseCode: 550, command: 'DATA', response: '550 5.7.1 Spam' })).toBe('rejected')
    expect(kind({ responseCode: 535, command: 'AUTH PLAIN', response: '535 5.7.8 Bad credentials' })).toBe(
      'quota-exceeded',
    )
    expect(kind({ code: 'EAUTH' })).toBe('quota-exceeded')
    expect(kind({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' })).toBe('transient')
    expect(kind({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'CONNECT_TIMEOUT' })).toBe('transient')
    expect(kind({ code: 'ETIMEDOUT', command: 'CONN', timeoutType: 'SOCKET_TIMEOUT' })).toBeUndefined()
    expect(kind({ code: 'ECONNECTION', command: 'CONN' })).toBeUndefined()
  })
})

describe('SesMailer with aws-sdk-client-mock', () => {
  const ses = mockClient(SESv2Client)
  let message: ReportMessage
  beforeAll(async () => {
    message = await composeMessage(renderedEmail(), envelope())
  })
  beforeEach(() => ses.reset())
  afterAll(() => ses.restore())

  const mailer = () =>
    new SesMailer({ client: new SESv2Client({ region: 'eu-west-2' }), configurationSet: 'hotspot-reports' })

  it('sends SendEmail with the raw bytes, the envelope and the configuration set', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: '0102018f-ses-id', $metadata: {} })
    expect(await mailer().send(message)).toEqual({ messageId: '0102018f-ses-id' })
    const calls = ses.commandCalls(SendEmailCommand)
    expect(calls).toHaveLength(1)
    const input = calls[0]?.args[0].input
    expect(input).toEqual({
      FromEmailAddress: 'reports@force.police.example',
      Destination: { ToAddresses: ['jane.oneil@force.police.example'] },
      Content: { Raw: { Data: message.raw } },
      ConfigurationSetName: 'hotspot-reports',
    })
    expect(Buffer.from(input?.Content?.Raw?.Data as Uint8Array).equals(message.raw)).toBe(true)
  })

  it('leaves out ConfigurationSetName when none is configured', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'id', $metadata: {} })
    await new SesMailer({ client: new SESv2Client({ region: 'eu-west-2' }) }).send(message)
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).not.toHaveProperty('ConfigurationSetName')
  })

  const meta = { $metadata: { httpStatusCode: 400 } }
  it.each([
    [new TooManyRequestsException({ message: 'Too many requests', ...meta }), 'throttled'],
    [
      new SESv2ServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Maximum sending rate exceeded.',
        ...meta,
      }),
      'throttled',
    ],
    [new LimitExceededException({ message: 'Daily message quota exceeded.', ...meta }), 'quota-exceeded'],
    [
      new SESv2ServiceException({
        name: 'Throttling',
        $fault: 'client',
        message: 'Daily message quota exceeded.',
        ...meta,
      }),
      'quota-exceeded',
    ],
    [new LimitExceededException({ message: 'Limit exceeded', ...meta }), 'quota-exceeded'],
    [new AccountSuspendedException({ message: 'Account suspended', ...meta }), 'quota-exceeded'],
    [new SendingPausedException({ message: 'Sending paused for this account', ...meta }), 'quota-exceeded'],
    [
      new MailFromDomainNotVerifiedException({ message: 'MAIL FROM not verified', ...meta }),
      'quota-exceeded',
    ],
    [
      new NotFoundException({ message: 'Configuration set <hotspot> does not exist.', ...meta }),
      'quota-exceeded',
    ],
    [new MessageRejected({ message: 'Email address is not verified.', ...meta }), 'rejected'],
    [new BadRequestException({ message: 'Illegal address', ...meta }), 'rejected'],
    [new BadRequestException({ message: 'Address is on the suppression list', ...meta }), 'suppressed'],
    [
      new NotFoundException({ message: 'The address is on the account suppression list', ...meta }),
      'suppressed',
    ],
    [new MessageRejected({ message: 'Recipient address has bounced', ...meta }), 'suppressed'],
    [new InternalServiceErrorException({ message: 'oops', $metadata: { httpStatusCode: 500 } }), 'transient'],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'transient'],
  ])('maps %s to %s', async (error, kind) => {
    ses.on(SendEmailCommand).rejects(error)
    expect(await kindOf(mailer().send(message))).toBe(kind)
    expect(classifySesError(error)?.kind).toBe(kind)
  })

  it('leaves a timeout unclassified: SES may have taken the message', async () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' })
    ses.on(SendEmailCommand).rejects(timeout)
    expect(await kindOf(mailer().send(message))).toMatch(/^unclassified/)
  })

  describe('through delivery', () => {
    let dir: string
    let store: FsObjectStore
    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'hotspot-ses-'))
      store = new FsObjectStore(dir)
    })
    afterEach(() => rm(dir, { recursive: true, force: true }))

    const run = (overrides: { recipientKey?: string; message?: ReportMessage; waits?: number[] } = {}) =>
      deliver({
        store,
        mailer: mailer(),
        clock: fixedClock('2026-11-16T07:00:00Z'),
        report: 'weekly',
        period: '2026-W46',
        recipientKey: overrides.recipientKey ?? 'CMD-001',
        compose: async () => overrides.message ?? message,
        sendRetry: { baseDelayMs: 200 },
        timing: {
          random: () => 0.5,
          sleep: async (ms) => {
            overrides.waits?.push(ms)
          },
        },
      })

    it('retries throttling with exponential backoff, then sends once', async () => {
      const throttled = () =>
        new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', ...meta })
      ses
        .on(SendEmailCommand)
        .rejectsOnce(throttled())
        .rejectsOnce(throttled())
        .resolves({ MessageId: 'ses-1', $metadata: {} })
      const waits: number[] = []
      const outcome = await run({ waits })
      expect(outcome).toMatchObject({
        state: 'sent',
        providerMessageId: 'ses-1',
        tries: 3,
        messageId: MESSAGE_ID,
      })
      expect(waits).toEqual([100, 200])
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(3)
      expect(await ledgerState(store, 'weekly', '2026-W46', 'CMD-001')).toMatchObject({
        state: 'sent',
        provider_message_id: 'ses-1',
        sends_tried: 3,
      })
    })

    it('stops the run on the daily quota, records it, and a later run sends it', async () => {
      ses
        .on(SendEmailCommand)
        .rejects(new LimitExceededException({ message: 'Daily message quota exceeded.', ...meta }))
      const stopped = await run().catch((error: unknown) => error)
      expect(stopped).toBeInstanceOf(QuotaExceededError)
      expect((stopped as QuotaExceededError).recipientKey).toBe('CMD-001')
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1)
      expect(await ledgerState(store, 'weekly', '2026-W46', 'CMD-001')).toMatchObject({
        state: 'failed',
        failure: { kind: 'quota-exceeded', retryable: true },
      })
      // the next day: the quota is back
      ses.reset()
      ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2', $metadata: {} })
      expect(await run()).toMatchObject({ state: 'sent', attempt: 2, providerMessageId: 'ses-2' })
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1)
    })

    it('skips and reports a suppressed address, and does not try it again', async () => {
      ses
        .on(SendEmailCommand)
        .rejects(new BadRequestException({ message: 'Address is on the suppression list', ...meta }))
      expect(await run()).toMatchObject({ state: 'skipped-suppressed', previously: false })
      expect(await ledgerState(store, 'weekly', '2026-W46', 'CMD-001')).toMatchObject({
        state: 'failed',
        failure: { kind: 'suppressed', retryable: false },
      })
      ses.reset()
      ses.on(SendEmailCommand).resolves({ MessageId: 'never', $metadata: {} })
      expect(await run()).toMatchObject({ state: 'skipped-suppressed', previously: true })
      expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0)
    })
  })
})

describe('OutboxMailer', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hotspot-outbox-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('writes the exact bytes to <report>/<period>/<recipient>.eml and returns the Message-ID', async () => {
    const message = await composeMessage(renderedEmail(), envelope())
    const outbox = new OutboxMailer(dir)
    expect(await outbox.send(message)).toEqual({ messageId: MESSAGE_ID })
    const file = path.join(dir, 'weekly', '2026-W46', 'CMD-001.eml')
    expect((await readFile(file)).equals(message.raw)).toBe(true)
    expect(await readdir(path.dirname(file))).toEqual(['CMD-001.eml'])
    // sending it again replaces the file whole
    await outbox.send(message)
    expect(await readdir(path.dirname(file))).toEqual(['CMD-001.eml'])
  })

  it('files a resend beside the first, as the archive does, without replacing it', async () => {
    const first = await composeMessage(renderedEmail(), envelope())
    const resent = await composeMessage(renderedEmail({ text: 'corrected figures' }), envelope({ resend: 1 }))
    const outbox = new OutboxMailer(dir)
    await outbox.send(first)
    await outbox.send(resent)
    expect((await readFile(path.join(dir, 'weekly', '2026-W46', 'CMD-001.eml'))).equals(first.raw)).toBe(true)
    const file = path.join(dir, 'weekly', '2026-W46', 'resends', 'CMD-001.1.eml')
    expect((await readFile(file)).equals(resent.raw)).toBe(true)
  })

  it('writes the HTML preview of a hostile recipient key inside the folder, by its safe key', async () => {
    const file = await writePreview(dir, 'weekly', '2026-W46', '../../escape', '<p>preview</p>')
    expect(file).toBe(path.join(dir, 'weekly', '2026-W46', '%2E%2E%2F%2E%2E%2Fescape.html'))
    expect(await readFile(file, 'utf8')).toBe('<p>preview</p>')
    await expect(writePreview(dir, 'weekly', '../../x', 'CMD-001', '')).rejects.toThrow(/not a weekly period/)
  })

  it('files by the message data, never by its headers, and refuses what it cannot file', async () => {
    const message = await composeMessage(renderedEmail(), envelope())
    const outbox = new OutboxMailer(dir)
    // the bytes still say CMD-001 and 2026-W46: the data decides, and a hostile key stays inside the folder
    await outbox.send({ ...message, recipientKey: '../../escape', resend: 2 })
    const file = path.join(dir, 'weekly', '2026-W46', 'resends', '%2E%2E%2F%2E%2E%2Fescape.2.eml')
    expect((await readFile(file)).equals(message.raw)).toBe(true)
    expect(await kindOf(outbox.send({ ...message, period: '../../x' }))).toBe('rejected')
    expect(await kindOf(outbox.send({ ...message, recipientKey: '' }))).toBe('rejected')
    expect(await readdir(dir)).toEqual(['weekly'])
  })

  it('reports a file it could not write as transient (nothing went out)', async () => {
    const message = await composeMessage(renderedEmail(), envelope())
    await writeFile(path.join(dir, 'weekly'), 'a file where the folder should be')
    expect(await kindOf(new OutboxMailer(dir).send(message))).toBe('transient')
  })
})
