import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest'
import { S3ObjectStore } from '../../functions/adapters/s3-object-store.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { DEFAULT_WEIGHTS_FILE } from '../../functions/core/reference/weights.ts'
import { LOCKED_PREFIXES } from '../../lib/storage.ts'
import { ROOT, type Synthesized, synthesize } from '../infra/synth.ts'
import { assetOf, type Invocation, invokeBundle, scheduleInputs, stackEnvironment } from './lambda-bundle.ts'

/**
 * The analytics Lambda bundle exactly as `cdk synth` builds it, started in a fresh Node process: it takes both
 * event forms (the nightly schedule's `{"scheduled_time": ...}` and an operator's `{"as_of": "YYYY-MM-DD"}`),
 * gets past the event, reads the reference data from moto and then fails on Athena, whose endpoint here is a
 * local server refusing every request; a malformed event fails before any request is made. No SQL is run.
 */

const moto = inject('moto')
if (moto.endpoint === null)
  console.warn(`tests/aws: skipped, no S3 server (moto ${moto.version}): ${moto.missing}`)

const REGION = 'eu-west-2'
const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' }
const NIGHTLY = JSON.parse(
  readFileSync(path.join(ROOT, 'tests', 'fixtures', 'lambda', 'scheduler-analytics-nightly.json'), 'utf8'),
) as { scheduled_time: string }
const REFUSAL = 'refused by the hotspot test endpoint'

interface AthenaRequest {
  target: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

describe.skipIf(moto.endpoint === null)('the analytics bundle: its events', () => {
  const endpoint = moto.endpoint as string
  let s: Synthesized
  let asset: string
  let bucket: string
  let athena: Server
  let athenaUrl: string
  const athenaRequests: AthenaRequest[] = []

  beforeAll(async () => {
    s = synthesize({}, { bundle: true })
    asset = assetOf(s, s.stack.analytics.function)
    // Athena (awsJson1_1) answering every request with a client error, recording what it was asked
    athena = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        athenaRequests.push({
          target: request.headers['x-amz-target'] as string | undefined,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        })
        response.writeHead(400, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': 'InvalidRequestException',
          'x-amzn-requestid': randomBytes(8).toString('hex'),
        })
        response.end(JSON.stringify({ __type: 'InvalidRequestException', Message: REFUSAL }))
      })
    })
    await new Promise<void>((resolve) => athena.listen(0, '127.0.0.1', () => resolve()))
    athenaUrl = `http://127.0.0.1:${(athena.address() as AddressInfo).port}`

    // the lake bucket with the reference data the marts are bound to (weights, register)
    bucket = `lake-${randomBytes(6).toString('hex')}`
    const client = new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: CREDENTIALS })
    await client.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectLockEnabledForBucket: true,
        CreateBucketConfiguration: { LocationConstraint: REGION },
      }),
    )
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    )
    const store = new S3ObjectStore({
      bucket,
      client,
      objectLock: { mode: 'GOVERNANCE', days: 1, prefixes: LOCKED_PREFIXES },
    })
    const clock = fixedClock('2026-11-16T03:00:00Z')
    await loadReference(store, 'weights', DEFAULT_WEIGHTS_FILE, clock)
    await loadReference(
      store,
      'register',
      path.join(ROOT, 'tests', 'fixtures', 'sample-drops', 'register.geojson'),
      clock,
    )
  }, 180_000)

  afterAll(async () => {
    athena?.closeAllConnections()
    await new Promise<void>((resolve) => (athena ? athena.close(() => resolve()) : resolve()))
    if (s) await rm(s.outdir, { recursive: true, force: true })
  })

  beforeEach(() => {
    athenaRequests.length = 0
  })

  const invoke = (event: unknown): Promise<Invocation> =>
    invokeBundle(asset, event, {
      ...stackEnvironment(s, s.stack.analytics.function, { LAKE_BUCKET: bucket }),
      // the staged copies, where Lambda has /var/task/queries/ and /var/task/parquet.wasm
      QUERIES_DIR: `${path.join(asset, 'queries')}/`,
      PARQUET_WASM: path.join(asset, 'parquet.wasm'),
      // test only: the SDK's own environment settings
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_ATHENA: athenaUrl,
      AWS_EC2_METADATA_DISABLED: 'true',
    })

  it('the recorded payload is what the nightly schedule sends, its scheduled time filled in', () => {
    expect(scheduleInputs(s, s.stack.analytics.function)).toEqual([
      { scheduled_time: '<aws.scheduler.scheduled-time>' },
    ])
    expect(Object.keys(NIGHTLY)).toEqual(['scheduled_time'])
    expect(NIGHTLY.scheduled_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
  })

  it.each([
    ['the schedule', NIGHTLY],
    ['an operator backfill', { as_of: '2026-11-15' }],
  ])('takes the event of %s and fails on Athena, not on the event', async (_, event) => {
    const run = await invoke(event)
    expect(run.ok, run.stderr).toBe(false)
    if (run.ok) return
    expect(run.error.message).toContain(REFUSAL)
    expect(run.error.message).not.toMatch(/invalid_union|as_of|scheduled_time/)
    expect(athenaRequests.length).toBeGreaterThan(0)
    for (const request of athenaRequests) {
      expect(request.target).toMatch(/^AmazonAthena\./)
      expect(request.headers.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/\\d{8}/${REGION}/athena/aws4_request,`,
        ),
      )
    }
  })

  it.each([
    ['no field', {}],
    ['an impossible date', { as_of: '2026-02-30' }],
    ['a date with a time', { as_of: '2026-11-15T00:00:00Z' }],
    ['a scheduled time that is not one', { scheduled_time: 'yesterday' }],
    ['both forms at once', { as_of: '2026-11-15', scheduled_time: NIGHTLY.scheduled_time }],
    ['an unknown field', { scheduled_time: NIGHTLY.scheduled_time, report: 'weekly' }],
    ['not an object', 'as_of=2026-11-15'],
  ])('refuses %s in parsing, before any request to Athena', async (_, event) => {
    const run = await invoke(event)
    expect(run.ok, run.stderr).toBe(false)
    if (run.ok) return
    expect(run.error.message).not.toContain(REFUSAL)
    // a ZodError: its message is the JSON list of the event's issues
    const issues = JSON.parse(run.error.message) as { code?: string }[]
    expect(issues.length).toBeGreaterThan(0)
    for (const issue of issues) expect(issue.code).toEqual(expect.any(String))
    expect(athenaRequests).toEqual([])
  })
})
