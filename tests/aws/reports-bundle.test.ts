import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3'
import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.ts'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { runMarts } from '../../functions/core/analytics/run.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { generateCity } from '../../functions/core/generate/generate.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import type { Recipients } from '../../functions/core/reference/recipients.ts'
import { ledgerProblems, ledgerState } from '../../functions/core/reports/delivery.ts'
import { LOCKED_PREFIXES } from '../../lib/storage.ts'
import { TEST_INGEST_SETTINGS } from '../helpers/ingest-settings.ts'
import { ROOT, type Synthesized, synthesize } from '../infra/synth.ts'
import { assetOf, type Invocation, invokeBundle, scheduleInputs, stackEnvironment } from './lambda-bundle.ts'
import { SesEndpoint } from './ses-endpoint.ts'

/**
 * The reports Lambda bundle exactly as `cdk synth` builds it, started in a fresh Node process with the weekly
 * schedule's recorded payload and the stack's environment, its AWS SDK pointed (through the SDK's own
 * environment settings only) at moto for S3 and at the local SES v2 endpoint. The lake it reads is built here with
 * the project's own code (demo city, ingest, marts on DuckDB) and uploaded to a moto bucket per case.
 */

const { simpleParser } = createRequire(import.meta.url)('mailparser') as typeof import('mailparser')

const moto = inject('moto')
if (moto.endpoint === null)
  console.warn(`tests/aws: skipped, no S3 server (moto ${moto.version}): ${moto.missing}`)

const REGION = 'eu-west-2'
const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' }
const CONFIGURATION_SET = 'hotspot-reports-test'
const EVENT_FILE = path.join(ROOT, 'tests', 'fixtures', 'lambda', 'scheduler-reports-weekly.json')
const EVENT = JSON.parse(readFileSync(EVENT_FILE, 'utf8')) as { report: string; scheduled_time: string }
const PERIOD = '2026-W46'
/** The lake prefixes a report reads. */
const READ_BY_REPORTS = ['reference/', 'manifests/reference/', 'results/', 'manifests/runs/']
const SUBJECT = /^Hotspot scorecard: Week 46, 9 to 15 November 2026/

describe.skipIf(moto.endpoint === null)('the reports bundle, invoked by the weekly schedule', () => {
  const endpoint = moto.endpoint as string
  let s: Synthesized
  let asset: string
  let root: string
  let lake: FsObjectStore
  let recipients: Recipients
  let ses: SesEndpoint
  const s3 = () => new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: CREDENTIALS })

  beforeAll(async () => {
    s = synthesize({}, { bundle: true })
    asset = assetOf(s, s.stack.reporting.function)
    ses = await SesEndpoint.start()
    root = await mkdtemp(path.join(tmpdir(), 'hotspot-reports-bundle-'))
    const city = path.join(root, 'city')
    const lakeDir = path.join(root, 'lake')
    const clock = fixedClock('2026-11-16T06:00:00Z')
    await generateCity({ scale: 'demo', years: 1, seed: 5, out: city })
    const asOf = JSON.parse(readFileSync(path.join(city, 'truth.json'), 'utf8')).dates.end
    expect(asOf).toBe('2026-11-15')
    recipients = JSON.parse(readFileSync(path.join(city, 'recipients.json'), 'utf8'))
    lake = new FsObjectStore(lakeDir)
    for (const [kind, file] of [
      ['weights', 'weights.csv'],
      ['register', 'register.geojson'],
      ['recipients', 'recipients.json'],
    ] as const) {
      await loadReference(lake, kind, path.join(city, file), clock)
    }
    for (const feed of FEED_NAMES)
      await runIngestCommand([path.join(city, 'drops', feed)], {
        lake: lakeDir,
        feed,
        clock,
        settings: TEST_INGEST_SETTINGS,
      })
    const engine = await DuckDbLake.open(lakeDir)
    try {
      await runMarts({ store: lake, engine, clock, asOf })
    } finally {
      engine.close()
    }
  }, 300_000)

  afterAll(async () => {
    await ses?.close()
    if (root) await rm(root, { recursive: true, force: true })
    if (s) await rm(s.outdir, { recursive: true, force: true })
  })

  /** A new bucket as the stack's lake bucket (Object Lock, versioned) holding the lake's results and reference data. */
  async function lakeBucket(): Promise<{ name: string; store: S3ObjectStore }> {
    const name = `lake-${randomBytes(6).toString('hex')}`
    const client = s3()
    await client.send(
      new CreateBucketCommand({
        Bucket: name,
        ObjectLockEnabledForBucket: true,
        CreateBucketConfiguration: { LocationConstraint: REGION },
      }),
    )
    await client.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    )
    const store = new S3ObjectStore({
      bucket: name,
      client,
      objectLock: { mode: 'GOVERNANCE', days: 1, prefixes: LOCKED_PREFIXES },
    })
    // what a report reads (functions/core/reports/results.ts, reference/manifest.ts): the reference data and
    // their manifests, the marts' results and run manifests; not the feeds (curated/, landing/, ingest manifests)
    const keys: string[] = []
    for await (const { key } of lake.list(''))
      if (READ_BY_REPORTS.some((p) => key.startsWith(p))) keys.push(key)
    let next = 0
    const upload = async () => {
      for (let key = keys[next++]; key !== undefined; key = keys[next++])
        await store.put(key, await lake.getBytes(key))
    }
    await Promise.all(Array.from({ length: 8 }, upload))
    expect(keys.length).toBeGreaterThan(0)
    return { name, store }
  }

  const invoke = (bucket: string): Promise<Invocation> =>
    invokeBundle(
      asset,
      EVENT,
      {
        ...stackEnvironment(s, s.stack.reporting.function, {
          LAKE_BUCKET: bucket,
          SES_CONFIGURATION_SET: CONFIGURATION_SET,
        }),
        // the staged copy, where Lambda has /var/task/resvg.wasm
        RESVG_WASM: path.join(asset, 'resvg.wasm'),
        // test only: the SDK's own environment settings, nothing in the code
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ENDPOINT_URL_SESV2: ses.url,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      { timeoutMs: 170_000 },
    )

  const commanders = () => recipients.commanders.map((c) => c.email.toLowerCase()).sort()
  /** The Sends metric of an invocation's EMF records on stdout, by outcome; each record's namespace checked. */
  const sends = (invocation: Invocation): Record<string, number> => {
    const counts: Record<string, number> = {}
    for (const line of invocation.stdout.split('\n')) {
      if (!line.startsWith('{') || !line.includes('"_aws"')) continue
      const record = JSON.parse(line)
      expect(record._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: s.stack.monitoring.metricsNamespace,
          Dimensions: [['service', 'outcome']],
          Metrics: [{ Name: 'Sends', Unit: 'Count' }],
        },
      ])
      expect(counts[record.outcome], record.outcome).toBeUndefined()
      counts[record.outcome] = record.Sends
    }
    return counts
  }
  const parsed = (raw: Buffer | undefined): Promise<ParsedMail> => {
    if (raw === undefined) throw new Error('no raw message')
    return simpleParser(raw, { skipImageLinks: true })
  }

  it('the recorded payload is what the weekly schedule sends, its scheduled time filled in', () => {
    const inputs = scheduleInputs(s, s.stack.reporting.function)
    expect(inputs).toContainEqual({ report: 'weekly', scheduled_time: '<aws.scheduler.scheduled-time>' })
    expect(Object.keys(EVENT).sort()).toEqual(['report', 'scheduled_time'])
    expect(EVENT.report).toBe('weekly')
    expect(EVENT.scheduled_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
  })

  it('sends exactly one email per commander through SES; a second invocation sends nothing', {
    timeout: 300_000,
  }, async () => {
    ses.clear()
    const { name, store } = await lakeBucket()
    const first = await invoke(name)
    expect(first, first.stderr).toMatchObject({ ok: true, result: { report: 'weekly', period: PERIOD } })
    expect(recipients.commanders.length).toBeGreaterThan(1)
    expect(ses.requests.map((r) => r.outcome).every((o) => o === 'accepted')).toBe(true)
    expect(sends(first)).toEqual({ sent: recipients.commanders.length })
    expect(ses.requests.map((r) => r.to.map((t) => t.toLowerCase())).sort()).toEqual(
      commanders().map((c) => [c]),
    )
    for (const request of ses.requests) {
      expect(request.path).toBe('/v2/email/outbound-emails')
      expect(request.configurationSet).toBe(CONFIGURATION_SET)
      expect(request.headers.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/\\d{8}/${REGION}/ses/aws4_request,`,
        ),
      )
      const mail = await parsed(request.raw)
      const to = mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address?.toLowerCase()) : []
      expect(to).toEqual(request.to.map((t) => t.toLowerCase()))
      expect(mail.subject).toMatch(SUBJECT)
      expect(mail.from?.value[0]?.address).toBe(recipients.sender.email)
    }
    for (const commander of recipients.commanders) {
      const [request] = ses.requestsTo(commander.email)
      expect(await ledgerState(store, 'weekly', PERIOD, commander.id)).toMatchObject({
        state: 'sent',
        mailer: 'ses',
        provider_message_id: request?.messageId,
      })
    }

    const second = await invoke(name)
    expect(second, second.stderr).toMatchObject({ ok: true })
    if (!second.ok) return
    expect(second.result.outcomes.map((o: { outcome: { state: string } }) => o.outcome.state)).toEqual(
      recipients.commanders.map(() => 'already-sent'),
    )
    expect(ses.requests).toHaveLength(recipients.commanders.length)
    expect(sends(second)).toEqual({ 'already-sent': recipients.commanders.length })
  })

  it('retries a throttled send (429, then accepted): one email each', { timeout: 200_000 }, async () => {
    ses.clear()
    const [target] = recipients.commanders
    if (!target) throw new Error('no commanders')
    ses.planFor(target.email, 'throttle')
    const { name, store } = await lakeBucket()
    const run = await invoke(name)
    expect(run, run.stderr).toMatchObject({ ok: true })
    expect(ses.requestsTo(target.email).map((r) => r.outcome)).toEqual(['throttled', 'accepted'])
    expect(ses.requestsTo(target.email)[0]?.errorCode).toBe('TooManyRequestsException')
    for (const commander of recipients.commanders) expect(ses.mayHaveSent(commander.email)).toHaveLength(1)
    expect(await ledgerState(store, 'weekly', PERIOD, target.id)).toMatchObject({
      state: 'sent',
      sends_tried: 2,
    })
  })

  it('records a reset after the request as unknown, fails the invocation to report it, and never resends it', {
    timeout: 300_000,
  }, async () => {
    ses.clear()
    const [, target] = recipients.commanders
    if (!target) throw new Error('fewer than two commanders')
    ses.planFor(target.email, 'reset-after-request')
    const { name, store } = await lakeBucket()
    const first = await invoke(name)
    expect(first.ok, first.stderr).toBe(false)
    if (first.ok) return
    // the class name is minified in the bundle: ReportsNotDeliveredError's message
    expect(first.error.message).toContain(`weekly ${PERIOD}: 1 of ${recipients.commanders.length}`)
    expect(first.error.message).toContain(`${target.id}: failed`)
    // published though the invocation failed: logMetrics flushes on error too
    expect(sends(first)).toEqual({ sent: recipients.commanders.length - 1, failed: 1 })
    expect(ses.requestsTo(target.email).map((r) => r.outcome)).toEqual(['reset'])
    expect(await ledgerState(store, 'weekly', PERIOD, target.id)).toMatchObject({
      state: 'failed',
      sends_tried: 1,
      failure: { kind: 'unknown', retryable: false },
    })
    const problems = await ledgerProblems(store, 'weekly', PERIOD)
    expect(problems.failed.map((e) => [e.recipient_key, e.failure?.kind])).toEqual([[target.id, 'unknown']])

    // the endpoint now accepts everything: Lambda's retry reports it again and sends nothing
    const requestsBefore = ses.requests.length
    const second = await invoke(name)
    expect(second.ok).toBe(false)
    if (second.ok) return
    expect(second.error.message).toContain(`${target.id}: failed`)
    expect(ses.requests).toHaveLength(requestsBefore)
    expect(ses.requestsTo(target.email)).toHaveLength(1)
    for (const commander of recipients.commanders) expect(ses.mayHaveSent(commander.email)).toHaveLength(1)
  })
})
