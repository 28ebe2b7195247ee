import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.ts'
import { SmtpMailer } from '../../functions/adapters/smtp-mailer.ts'
import {
  fixedClock,
  type Mailer,
  type ObjectBody,
  type ObjectStore,
  type ReportMessage,
  type WriteOptions,
} from '../../functions/core/ports.ts'
import { composeMessage, sha256 } from '../../functions/core/reports/compose.ts'
import {
  type DeliverInput,
  deliver,
  LedgerUpdateError,
  ledgerProblems,
  ledgerState,
  listLedger,
  resendClaimKey,
  retryClaimKey,
} from '../../functions/core/reports/delivery.ts'
import { fakeS3 } from './helpers/fake-s3.ts'
import { COMMANDER, envelope, renderedEmail } from './helpers/mail-fixtures.ts'
import { SmtpSink } from './helpers/smtp-sink.ts'

const LEDGER = 'ledger/weekly/2026-W46/CMD-001.json'
const ARCHIVE = 'archive/weekly/2026-W46/CMD-001.eml'
const MESSAGE_ID = '<hotspot.weekly.2026-W46.CMD-001@force.police.example>'
const RESENT_ARCHIVE = 'archive/weekly/2026-W46/resends/CMD-001.1.eml'
const RESENT_MESSAGE_ID = '<hotspot.weekly.2026-W46.CMD-001.resend-1@force.police.example>'

/** The email as the report composes it, as its first send (0) or as resend n, with the figures given. */
const composeOf =
  (text?: string) =>
  (resend: number): Promise<ReportMessage> =>
    composeMessage(renderedEmail(text === undefined ? {} : { text }), envelope({ resend }))
const NOW = '2026-11-16T07:00:00.000Z'

/** Delegates to a store, and can fail the `put` of chosen keys: a crash (or an outage) at that point. */
class FaultyStore implements ObjectStore {
  failPut: ((key: string) => boolean) | undefined
  failCreate: ((key: string) => boolean) | undefined
  constructor(private readonly inner: ObjectStore) {}
  get location() {
    return this.inner.location
  }
  get(key: string) {
    return this.inner.get(key)
  }
  getBytes(key: string) {
    return this.inner.getBytes(key)
  }
  exists(key: string) {
    return this.inner.exists(key)
  }
  async create(key: string, body: ObjectBody, options?: WriteOptions) {
    if (this.failCreate?.(key)) throw new Error(`injected: the store refused ${key}`)
    return this.inner.create(key, body, options)
  }
  list(prefix: string) {
    return this.inner.list(prefix)
  }
  async put(key: string, body: ObjectBody, options?: WriteOptions) {
    if (this.failPut?.(key)) throw new Error(`injected: the process died before writing ${key}`)
    return this.inner.put(key, body, options)
  }
}

interface StoreHarness {
  store: ObjectStore
  cleanup(): Promise<void>
}

const STORES: [string, () => Promise<StoreHarness>][] = [
  [
    'FsObjectStore',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'hotspot-delivery-'))
      return { store: new FsObjectStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) }
    },
  ],
  [
    'S3ObjectStore (fake S3)',
    async () => {
      const s3 = fakeS3({ buckets: ['lake'] })
      const store = new S3ObjectStore({ bucket: 'lake', client: new S3Client({ region: 'eu-west-2' }) })
      return { store, cleanup: async () => s3.restore() }
    },
  ],
]

let sink: SmtpSink
let message: ReportMessage
beforeAll(async () => {
  sink = await SmtpSink.start()
  message = await composeMessage(renderedEmail(), envelope())
})
afterAll(() => sink.close())

describe.each(STORES)('exactly-once delivery over %s, to a real SMTP server', (_name, makeStore) => {
  let harness: StoreHarness
  let store: FaultyStore
  let mailer: SmtpMailer
  let ids: number
  let waits: number[]

  beforeEach(async () => {
    sink.clear()
    harness = await makeStore()
    store = new FaultyStore(harness.store)
    mailer = new SmtpMailer(sink.url)
    ids = 0
    waits = []
  })
  afterEach(async () => {
    mailer.close()
    await harness.cleanup()
  })

  const run = (overrides: Partial<DeliverInput> = {}) =>
    deliver({
      store,
      mailer,
      clock: fixedClock(NOW),
      report: 'weekly',
      period: '2026-W46',
      recipientKey: 'CMD-001',
      compose: async () => message,
      // waits of half the ceiling, 20 ms doubling up to 60: 10 ms, 20, 30, 30
      sendRetry: { baseDelayMs: 20, maxDelayMs: 60 },
      timing: {
        random: () => 0.5,
        sleep: async (ms) => {
          waits.push(ms)
        },
      },
      newAttemptId: () => `attempt-${++ids}`,
      ...overrides,
    })
  const ledgerJson = async () => JSON.parse((await harness.store.getBytes(LEDGER)).toString('utf8'))

  it('sends once, archives the exact bytes and records the send in the ledger', async () => {
    const outcome = await run()
    expect(outcome).toEqual({
      state: 'sent',
      report: 'weekly',
      period: '2026-W46',
      recipientKey: 'CMD-001',
      ledgerKey: LEDGER,
      archiveKey: ARCHIVE,
      messageId: MESSAGE_ID,
      providerMessageId: MESSAGE_ID,
      attempt: 1,
      tries: 1,
    })
    expect(sink.messages).toHaveLength(1)
    expect(sink.messages[0]?.raw.equals(message.raw)).toBe(true)
    expect((await harness.store.getBytes(ARCHIVE)).equals(message.raw)).toBe(true)
    expect(await ledgerJson()).toEqual({
      version: 1,
      report: 'weekly',
      period: '2026-W46',
      recipient_key: 'CMD-001',
      state: 'sent',
      attempt: 1,
      attempt_id: 'attempt-1',
      mailer: 'smtp',
      message_id: MESSAGE_ID,
      sha256: sha256(message.raw),
      bytes: message.raw.length,
      archive_key: ARCHIVE,
      started_at: NOW,
      sends_tried: 1,
      sent_at: NOW,
      provider_message_id: MESSAGE_ID,
    })
  })

  it('a retry after success sends nothing more (already-sent)', async () => {
    await run()
    expect(await run()).toMatchObject({ state: 'already-sent', messageId: MESSAGE_ID, sentAt: NOW })
    expect(sink.messages).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({ state: 'sent', attempt_id: 'attempt-1' })
  })

  it('figures changed since the email was sent: reported as changed-since-sent, nothing sent, nothing replaced', async () => {
    await run()
    const outcome = await run({ compose: composeOf('corrected figures') })
    const corrected = await composeOf('corrected figures')(0)
    expect(outcome).toMatchObject({
      state: 'changed-since-sent',
      messageId: MESSAGE_ID,
      sentAt: NOW,
      sentSha256: sha256(message.raw),
      nowSha256: sha256(corrected.raw),
    })
    expect(sink.messages).toHaveLength(1)
    expect((await harness.store.getBytes(ARCHIVE)).equals(message.raw)).toBe(true)
    expect(await ledgerJson()).toMatchObject({
      state: 'sent',
      attempt_id: 'attempt-1',
      sha256: sha256(message.raw),
    })
  })

  it('an explicit resend sends the new figures under a new Message-ID and archive key, and the ledger keeps the history', async () => {
    await run()
    const first = await ledgerJson()
    const resend = { requestedBy: 'analyst.k', reason: 'late drop of 15 November' }
    const outcome = await run({ compose: composeOf('corrected figures'), resend })
    expect(outcome).toMatchObject({
      state: 'sent',
      messageId: RESENT_MESSAGE_ID,
      archiveKey: RESENT_ARCHIVE,
      resend: 1,
    })
    const resent = await composeOf('corrected figures')(1)
    expect(sink.messages).toHaveLength(2)
    expect(sink.messages[1]?.raw.equals(resent.raw)).toBe(true)
    // both versions archived: the first untouched, the resend under a key of its own
    expect((await harness.store.getBytes(ARCHIVE)).equals(message.raw)).toBe(true)
    expect((await harness.store.getBytes(RESENT_ARCHIVE)).equals(resent.raw)).toBe(true)
    expect(await ledgerJson()).toEqual({
      ...first,
      state: 'sent',
      attempt: 2,
      // attempt-2 was the id of the entry this run tried to create before it found the one sent
      attempt_id: 'attempt-3',
      message_id: RESENT_MESSAGE_ID,
      sha256: sha256(resent.raw),
      bytes: resent.raw.length,
      archive_key: RESENT_ARCHIVE,
      provider_message_id: RESENT_MESSAGE_ID,
      resends: [
        {
          resend: 1,
          requested_by: 'analyst.k',
          requested_at: NOW,
          reason: 'late drop of 15 November',
          replaced: first,
        },
      ],
    })
    expect(await harness.store.exists(resendClaimKey('weekly', '2026-W46', 'CMD-001', 1))).toBe(true)
    // the resent figures are now the ones sent: a rerun finds them sent; a resend with nothing changed sends nothing
    expect(await run({ compose: composeOf('corrected figures') })).toMatchObject({
      state: 'already-sent',
      messageId: RESENT_MESSAGE_ID,
    })
    expect(await run({ compose: composeOf('corrected figures'), resend })).toMatchObject({
      state: 'already-sent',
    })
    // figures that changed once more are reported against the resent version
    expect(await run({ compose: composeOf('corrected again') })).toMatchObject({
      state: 'changed-since-sent',
      sentSha256: sha256(resent.raw),
    })
    expect(sink.messages).toHaveLength(2)
  })

  it('two concurrent resends of the same email send it once; the other reports it', async () => {
    await run()
    const resend = { requestedBy: 'analyst.k', reason: 'correction' }
    const outcomes = await Promise.all([
      run({ compose: composeOf('corrected figures'), resend }),
      run({ compose: composeOf('corrected figures'), resend }),
    ])
    expect(outcomes.map((o) => o.state).sort()).toEqual(['sent', 'stuck'])
    expect(sink.messages).toHaveLength(2)
  })

  it('a resend claimed by a run that died before recording it is reported stuck, and not sent', async () => {
    await run()
    await harness.store.create(
      resendClaimKey('weekly', '2026-W46', 'CMD-001', 1),
      JSON.stringify({ resend: 1, requested_by: 'dead-run', requested_at: NOW, reason: 'x' }),
    )
    const resend = { requestedBy: 'analyst.k', reason: 'correction' }
    expect(await run({ compose: composeOf('corrected figures'), resend })).toMatchObject({
      state: 'stuck',
      reason: expect.stringContaining('dead-run'),
    })
    expect(sink.messages).toHaveLength(1)
    expect((await ledgerProblems(harness.store, 'weekly', '2026-W46')).stuck).toHaveLength(1)
  })

  it('two concurrent deliveries of the same email send it once; the other reports it, unsent', async () => {
    const outcomes = await Promise.all([run(), run(), run()])
    expect(outcomes.map((o) => o.state).sort()).toEqual(['sent', 'stuck', 'stuck'])
    expect(sink.messages).toHaveLength(1)
    expect(sink.commands.filter((c) => c.startsWith('DATA'))).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({ state: 'sent' })
    expect((await harness.store.getBytes(ARCHIVE)).equals(message.raw)).toBe(true)
  })

  it('a crash after the mailer took the message but before the ledger update: the rerun reports it stuck', async () => {
    store.failPut = (key) => key === LEDGER
    const crashed = await run().catch((error: unknown) => error)
    expect(crashed).toBeInstanceOf(LedgerUpdateError)
    expect((crashed as LedgerUpdateError).providerMessageId).toBe(MESSAGE_ID)
    expect(sink.messages).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({
      state: 'sending',
      attempt_id: 'attempt-1',
      sha256: sha256(message.raw),
    })

    store.failPut = undefined
    const rerun = await run()
    expect(rerun).toMatchObject({ state: 'stuck', attempt: 1, startedAt: NOW, messageId: MESSAGE_ID })
    expect(sink.messages).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({ state: 'sending', attempt_id: 'attempt-1' })
    const problems = await ledgerProblems(harness.store, 'weekly', '2026-W46')
    expect(problems.stuck.map((e) => e.recipient_key)).toEqual(['CMD-001'])
    expect(problems.failed).toEqual([])
  })

  it('a mailer that fails without saying whether it sent: recorded as unknown, reported, never resent', async () => {
    const lost: Mailer = {
      name: 'smtp',
      send: async (m) => {
        await mailer.send(m)
        throw new Error('connection reset after DATA')
      },
    }
    expect(await run({ mailer: lost })).toMatchObject({
      state: 'failed',
      kind: 'unknown',
      retryable: false,
      previously: false,
    })
    expect(await run()).toMatchObject({ state: 'failed', kind: 'unknown', previously: true })
    expect(sink.messages).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({
      state: 'failed',
      failure: { kind: 'unknown', reason: 'outcome unknown: connection reset after DATA', retryable: false },
    })
  })

  it('a suppressed address (550) is skipped and reported, in this run and every later one', async () => {
    sink.rejectRecipient(COMMANDER.email)
    expect(await run()).toMatchObject({ state: 'skipped-suppressed', previously: false })
    expect(await run()).toMatchObject({ state: 'skipped-suppressed', previously: true })
    expect(sink.commands.filter((c) => c.startsWith('RCPT'))).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({
      state: 'failed',
      failure: { kind: 'suppressed', retryable: false },
    })
  })

  it('a permanent rejection (554) is recorded and reported again by a rerun, not resent', async () => {
    sink.failNext('END', { code: 554, text: '5.7.1 Message content rejected' })
    expect(await run()).toMatchObject({
      state: 'failed',
      kind: 'rejected',
      retryable: false,
      previously: false,
    })
    expect(await run()).toMatchObject({ state: 'failed', kind: 'rejected', previously: true })
    expect(sink.commands.filter((c) => c.startsWith('DATA'))).toHaveLength(1)
    expect(sink.messages).toHaveLength(0)
  })

  it('retries a 451 in the same run with backoff', async () => {
    sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    expect(await run()).toMatchObject({ state: 'sent', tries: 3 })
    expect(waits).toEqual([10, 20])
    expect(sink.messages).toHaveLength(1)
  })

  it('waits a full-jitter backoff, capped, between the sends of one run, and none after the last', async () => {
    for (let i = 0; i < 5; i++) sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    expect(await run()).toMatchObject({ state: 'failed', kind: 'transient', retryable: true })
    // SEND_RETRY's five sends; half of 20, 40, 80 and 160 ms, each capped at 60
    expect(waits).toEqual([10, 20, 30, 30])
    expect(await ledgerJson()).toMatchObject({ state: 'failed', sends_tried: 5 })
    expect(sink.messages).toHaveLength(0)
  })

  it('does not retry in the run what another send would meet again (a rejection)', async () => {
    sink.failNext('END', { code: 554, text: '5.7.1 Message content rejected' })
    expect(await run()).toMatchObject({ state: 'failed', kind: 'rejected', retryable: false })
    expect(waits).toEqual([])
    expect(await ledgerJson()).toMatchObject({ sends_tried: 1 })
  })

  it('a transient failure that outlasts the retries is recorded; the rerun sends it as attempt 2', async () => {
    for (let i = 0; i < 2; i++) sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    expect(await run({ sendRetry: { attempts: 2 } })).toMatchObject({
      state: 'failed',
      kind: 'transient',
      retryable: true,
    })
    expect(sink.messages).toHaveLength(0)
    expect(await ledgerJson()).toMatchObject({
      state: 'failed',
      sends_tried: 2,
      failure: { kind: 'transient' },
    })

    expect(await run()).toMatchObject({ state: 'sent', attempt: 2, tries: 1 })
    expect(sink.messages).toHaveLength(1)
    expect(await ledgerJson()).toMatchObject({
      state: 'sent',
      attempt: 2,
      attempt_id: 'attempt-3',
      previous: [{ attempt: 1, attempt_id: 'attempt-1', failure: { kind: 'transient', retryable: true } }],
    })
    expect(await harness.store.exists(retryClaimKey('weekly', '2026-W46', 'CMD-001', 2))).toBe(true)
    expect(await run()).toMatchObject({ state: 'already-sent' })
    expect(sink.messages).toHaveLength(1)
  })

  it('two concurrent retries of a failed delivery: one claims it and sends, the other reports it', async () => {
    sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    await run({ sendRetry: { attempts: 1 } })
    const outcomes = await Promise.all([run(), run()])
    expect(outcomes.map((o) => o.state).sort()).toEqual(['sent', 'stuck'])
    expect(sink.messages).toHaveLength(1)
  })

  it('a retry claimed by a run that died before recording it is reported stuck', async () => {
    sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    await run({ sendRetry: { attempts: 1 } })
    await harness.store.create(
      retryClaimKey('weekly', '2026-W46', 'CMD-001', 2),
      JSON.stringify({ attempt: 2, attempt_id: 'dead-run', claimed_at: NOW }),
    )
    expect(await run()).toMatchObject({
      state: 'stuck',
      attempt: 2,
      reason: expect.stringContaining('dead-run'),
    })
    expect(sink.messages).toHaveLength(0)
    expect((await ledgerProblems(harness.store, 'weekly', '2026-W46')).stuck).toHaveLength(1)
  })

  it('gives up on transient failures after maxRetries later runs, and says so', async () => {
    for (let i = 0; i < 3; i++) sink.failNext('RCPT', { code: 451, text: '4.3.0 Try again later' })
    for (let i = 0; i < 3; i++) await run({ sendRetry: { attempts: 1 }, maxRetries: 2 })
    expect(await run({ maxRetries: 2 })).toMatchObject({
      state: 'failed',
      kind: 'transient',
      retryable: false,
      previously: true,
      reason: expect.stringMatching(/^gave up after 3 failed attempts/),
    })
    expect(sink.messages).toHaveLength(0)
  })

  it('a store failure while archiving stops before sending; the entry is retryable and a rerun sends it', async () => {
    store.failCreate = (key) => key === ARCHIVE
    await expect(run()).rejects.toThrow(/injected: the store refused/)
    expect(sink.commands).toHaveLength(0)
    expect(await ledgerJson()).toMatchObject({
      state: 'failed',
      failure: { kind: 'transient', retryable: true },
    })
    store.failCreate = undefined
    expect(await run()).toMatchObject({ state: 'sent', attempt: 2 })
    expect(sink.messages).toHaveLength(1)
    expect((await harness.store.getBytes(ARCHIVE)).equals(message.raw)).toBe(true)
  })

  it('refuses to send bytes other than those already archived for the email', async () => {
    await harness.store.create(ARCHIVE, Buffer.from('Subject: another\r\n\r\nbody\r\n'))
    expect(await run()).toMatchObject({ state: 'failed', kind: 'archive-mismatch', retryable: false })
    expect(sink.commands).toHaveLength(0)
    expect(await ledgerJson()).toMatchObject({ state: 'failed', failure: { kind: 'archive-mismatch' } })
  })

  it('refuses a message composed for another recipient or period', async () => {
    await expect(run({ recipientKey: 'CMD-002' })).rejects.toThrow(/for recipient "CMD-001"/)
    await expect(run({ period: '2026-W47' })).rejects.toThrow(/weekly 2026-W46/)
    expect(await harness.store.exists(LEDGER)).toBe(false)
  })

  it('refuses a message composed for another email before claiming anything', async () => {
    const other = await composeMessage(
      renderedEmail(),
      envelope({ to: { ...COMMANDER, key: 'CMD-002', email: 'two@force.police.example' } }),
    )
    await expect(run({ compose: async () => other })).rejects.toThrow(
      'the message is for recipient "CMD-002", not "CMD-001"',
    )
    await expect(run({ compose: async () => ({ ...message, period: '2026-W47' }) })).rejects.toThrow(
      'the message is for weekly 2026-W47, not weekly 2026-W46',
    )
    expect(await harness.store.exists(LEDGER)).toBe(false)
    expect(sink.messages).toHaveLength(0)
  })

  it('lists the ledger of a period and its problems for the run summary', async () => {
    const second = await composeMessage(
      renderedEmail(),
      envelope({ to: { ...COMMANDER, key: 'CMD-002', email: 'two@force.police.example' } }),
    )
    const third = await composeMessage(
      renderedEmail(),
      envelope({ to: { ...COMMANDER, key: 'Insp Smith', email: 'smith@force.police.example' } }),
    )
    sink.rejectRecipient('two@force.police.example')
    await run()
    await run({ recipientKey: 'CMD-002', compose: async () => second })
    store.failPut = () => true
    await expect(run({ recipientKey: 'Insp Smith', compose: async () => third })).rejects.toBeInstanceOf(
      LedgerUpdateError,
    )
    const entries = await listLedger(harness.store, 'weekly', '2026-W46')
    expect(entries.map((e) => [e.recipient_key, e.state])).toEqual([
      ['CMD-001', 'sent'],
      ['CMD-002', 'failed'],
      ['Insp Smith', 'sending'],
    ])
    expect(await harness.store.exists('ledger/weekly/2026-W46/Insp%20Smith.json')).toBe(true)
    const problems = await ledgerProblems(harness.store, 'weekly', '2026-W46')
    expect(problems.stuck.map((e) => e.recipient_key)).toEqual(['Insp Smith'])
    expect(problems.failed.map((e) => [e.recipient_key, e.failure?.kind])).toEqual([
      ['CMD-002', 'suppressed'],
    ])
    expect(await ledgerState(harness.store, 'weekly', '2026-W46', 'nobody')).toBeUndefined()
    expect(await listLedger(harness.store, 'weekly', '2026-W47')).toEqual([])
  })
})

describe('a real crash: the process exits right after the SMTP server took the message', () => {
  let dir: string
  beforeEach(async () => {
    sink.clear()
    dir = await mkdtemp(path.join(tmpdir(), 'hotspot-crash-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('leaves the entry sending, and the rerun reports it stuck without sending again', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
    const script = path.join(dir, 'crash.mts')
    await writeFile(path.join(dir, 'message.eml'), message.raw)
    await writeFile(
      script,
      `import { readFileSync } from 'node:fs'
import { FsObjectStore } from ${JSON.stringify(path.join(root, 'functions/adapters/fs-object-store.ts'))}
import { SmtpMailer } from ${JSON.stringify(path.join(root, 'functions/adapters/smtp-mailer.ts'))}
import { deliver } from ${JSON.stringify(path.join(root, 'functions/core/reports/delivery.ts'))}
const [lake, url, eml] = process.argv.slice(2)
const smtp = new SmtpMailer(url)
const mailer = { name: 'smtp', send: async (m) => { await smtp.send(m); process.exit(137) } }
const message = { ...${JSON.stringify({ ...message, raw: undefined })}, raw: readFileSync(eml) }
await deliver({ store: new FsObjectStore(lake), mailer, report: 'weekly', period: '2026-W46', recipientKey: 'CMD-001', compose: async () => message })
`,
    )
    const lake = path.join(dir, 'lake')
    // not spawnSync: the SMTP sink runs in this process and must answer while the child sends
    const child = await new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', script, lake, sink.url, path.join(dir, 'message.eml')],
        {
          cwd: root,
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      )
      let stderr = ''
      proc.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8')
      })
      proc.on('error', reject)
      proc.on('close', (status) => resolve({ status, stderr }))
    })
    expect(child.stderr).toBe('')
    expect(child.status).toBe(137)
    expect(sink.messages).toHaveLength(1)

    const store = new FsObjectStore(lake)
    expect(await ledgerState(store, 'weekly', '2026-W46', 'CMD-001')).toMatchObject({ state: 'sending' })
    expect((await store.getBytes(ARCHIVE)).equals(message.raw)).toBe(true)
    const mailer = new SmtpMailer(sink.url)
    const rerun = await deliver({
      store,
      mailer,
      report: 'weekly',
      period: '2026-W46',
      recipientKey: 'CMD-001',
      compose: async () => message,
    })
    expect(rerun).toMatchObject({ state: 'stuck', messageId: MESSAGE_ID })
    expect(sink.messages).toHaveLength(1)
  })
})
