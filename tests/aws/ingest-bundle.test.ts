import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { parquetMetadata } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import type { IngestManifest } from '../../functions/core/ingest/ingest.ts'
import { EXAMPLE_CONTEXT } from '../../lib/config.ts'
import { TEST_PSEUDONYM_KEY_HEX } from '../helpers/ingest-settings.ts'
import { ROOT, type Synthesized, synthesize } from '../infra/synth.ts'
import { assetOf, invokeBundle, stackEnvironment } from './lambda-bundle.ts'

const moto = inject('moto')
if (moto.endpoint === null)
  console.warn(`tests/aws: skipped, no S3 server (moto ${moto.version}): ${moto.missing}`)
const endpoint = moto.endpoint ?? 'http://127.0.0.1:9'

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'lambda')
/** Where the stack's partition projection starts: the drops are dated 2026-03-02. */
const FIRST_DROP_DATE = '2026-03-01'
const DROP_DATE = '2026-03-02'
/** The fixture event's key, URL-encoded as S3 encodes it: `incidents mixed (2).csv`. */
const RECORDED = JSON.parse(
  readFileSync(path.join(FIXTURES, 'sqs-s3-object-created.json'), 'utf8'),
) as SQSEvent

const s3 = new S3Client({
  region: 'eu-west-2',
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
})

const ssm = new SSMClient({
  region: 'eu-west-2',
  endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
})

/** An object key as S3 writes it into an event notification: form-encoded, `/` kept, a space as `+`. */
function encodeS3Key(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part)
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/')
}

/** A new bucket as the stack makes the data bucket: Object Lock enabled (no default retention), versioned. */
async function lakeBucket(): Promise<string> {
  const name = `hotspot-data-${randomBytes(6).toString('hex')}`
  await s3.send(
    new CreateBucketCommand({
      Bucket: name,
      ObjectLockEnabledForBucket: true,
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' },
    }),
  )
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
  )
  return name
}

interface Landed {
  bucket: string
  key: string
  size: number
  eTag: string
  versionId: string
}

/** Puts a drop under landing/ as the force's uploader does; S3's answer gives what its event will carry. */
async function land(bucket: string, key: string, body: Buffer | string): Promise<Landed> {
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
  expect(put.VersionId, 'the bucket is versioned').toEqual(expect.any(String))
  return {
    bucket,
    key,
    size: Buffer.byteLength(body),
    eTag: (put.ETag ?? '').replaceAll('"', ''),
    versionId: put.VersionId as string,
  }
}

let sequence = 0

/**
 * One SQS record as Lambda delivers it, made from the recorded one: its message id, and a body that is the
 * recorded S3 notification with this object's bucket, key, size, eTag, version id and sequencer.
 */
function sqsRecord(body: string | Landed): SQSEvent['Records'][number] {
  const recorded = RECORDED.Records[0] as SQSEvent['Records'][number]
  let text: string
  if (typeof body === 'string') text = body
  else {
    const notification = JSON.parse(recorded.body)
    const record = notification.Records[0]
    record.s3.bucket.name = body.bucket
    record.s3.bucket.arn = `arn:aws:s3:::${body.bucket}`
    record.s3.object = {
      key: encodeS3Key(body.key),
      size: body.size,
      eTag: body.eTag,
      versionId: body.versionId,
      sequencer: (++sequence).toString(16).toUpperCase().padStart(18, '0'),
    }
    text = JSON.stringify(notification)
  }
  return { ...recorded, messageId: randomUUID(), body: text }
}

const event = (...records: SQSEvent['Records']): SQSEvent => ({ Records: records })

describe.skipIf(moto.endpoint === null)(
  `the ingest bundle as cdk synth builds it, on moto ${moto.version}`,
  () => {
    let synthesized: Synthesized
    let asset: string

    beforeAll(async () => {
      synthesized = synthesize({ firstDropDate: FIRST_DROP_DATE }, { bundle: true })
      asset = assetOf(synthesized, synthesized.stack.ingest.function)
      // the key's parameter, as the force creates it before deploying (CloudFormation cannot make a SecureString)
      await ssm.send(
        new PutParameterCommand({
          Name: EXAMPLE_CONTEXT.pseudonymKeyParameter,
          Type: 'SecureString',
          Value: TEST_PSEUDONYM_KEY_HEX,
          Overwrite: true,
        }),
      )
    }, 180_000)

    afterAll(() => {
      if (synthesized) rmSync(synthesized.outdir, { recursive: true, force: true })
    })

    /** The environment the stack sets, with the two values that only exist in AWS replaced. */
    function functionEnv(bucket: string): Record<string, string> {
      const env = stackEnvironment(synthesized, synthesized.stack.ingest.function, { LAKE_BUCKET: bucket })
      expect(env.FIRST_DROP_DATE).toBe(FIRST_DROP_DATE)
      expect(env.LAKE_LOCK_MODE).toEqual(expect.any(String))
      expect(env.PARQUET_WASM).toBe('/var/task/parquet.wasm')
      return { ...env, PARQUET_WASM: path.join(asset, 'parquet.wasm') }
    }

    /** Invokes the bundle in a new Node process, as a cold start; returns what the handler returned. */
    async function invoke(bucket: string, sqsEvent: SQSEvent): Promise<SQSBatchResponse> {
      const outcome = await invokeBundle(asset, sqsEvent, {
        ...functionEnv(bucket),
        // what Lambda's runtime sets, and for the test only: the SDK's endpoint and credentials
        AWS_REGION: 'eu-west-2',
        AWS_DEFAULT_REGION: 'eu-west-2',
        AWS_LAMBDA_FUNCTION_NAME: 'hotspot-ingest',
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ENDPOINT_URL_SSM: endpoint,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      })
      if (!outcome.ok)
        throw new Error(
          `the bundle failed: ${outcome.error.name}: ${outcome.error.message}\n${outcome.stderr}`,
        )
      return outcome.result as unknown as SQSBatchResponse
    }

    /** Every version of every object under `prefix`: a rewrite would show as a second version. */
    async function versionsUnder(bucket: string, prefix: string): Promise<string[]> {
      const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }))
      expect(listed.IsTruncated).toBeFalsy()
      return (listed.Versions ?? []).map((v) => v.Key as string).sort()
    }

    async function bytesOf(bucket: string, key: string): Promise<Buffer> {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return Buffer.from(
        await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      )
    }

    async function manifestsOf(bucket: string): Promise<IngestManifest[]> {
      const keys = await versionsUnder(bucket, 'manifests/ingest/')
      return Promise.all(keys.map(async (key) => JSON.parse((await bytesOf(bucket, key)).toString('utf8'))))
    }

    /** The one set of outputs a drop of incidents-mixed.csv leaves: curated, quarantine, claim and manifest. */
    async function expectOneDrop(bucket: string, landed: Landed): Promise<IngestManifest> {
      const manifests = await manifestsOf(bucket)
      expect(manifests).toHaveLength(1)
      const manifest = manifests[0] as IngestManifest
      expect(manifest).toMatchObject({
        feed: 'incidents',
        drop_date: DROP_DATE,
        source: { landing_key: landed.key, bytes: landed.size },
        landing_version_id: landed.versionId,
        rows_in: 5,
        rows_accepted: 3,
        rows_quarantined: 1,
        rows_duplicate: 1,
      })
      const curated = manifest.outputs.curated as string
      const quarantine = manifest.outputs.quarantine as string
      expect(curated).toMatch(new RegExp(`^curated/incidents/dt=${DROP_DATE}/`))
      expect(quarantine).toMatch(new RegExp(`^quarantine/incidents/dt=${DROP_DATE}/`))
      expect(await versionsUnder(bucket, 'curated/')).toEqual([curated])
      expect(await versionsUnder(bucket, 'quarantine/')).toEqual([quarantine])
      expect(await versionsUnder(bucket, 'manifests/claims/ingest/')).toHaveLength(1)
      // read back: the Parquet file holds the accepted rows, the quarantine file one record per rejected row
      const parquet = new Uint8Array(await bytesOf(bucket, curated)).buffer
      expect(Number(parquetMetadata(parquet).num_rows)).toBe(3)
      const rejected = (await bytesOf(bucket, quarantine)).toString('utf8').trim().split('\n')
      expect(rejected).toHaveLength(1)
      expect(JSON.parse(rejected[0] as string)).toMatchObject({
        drop_id: manifest.drop_id,
        feed: 'incidents',
      })
      return manifest
    }

    const MIXED = () => readFileSync(path.join(FIXTURES, 'incidents-mixed.csv'))
    /** The recorded event's key, decoded: a space and parentheses, as the force's uploader may name files. */
    const KEY = `landing/incidents/${DROP_DATE}/incidents mixed (2).csv`

    it('the recorded event has the shape AWS delivers: SQS records whose body is an S3 notification', () => {
      const record = RECORDED.Records[0] as SQSEvent['Records'][number]
      expect(record.eventSource).toBe('aws:sqs')
      const object = JSON.parse(record.body).Records[0].s3.object
      expect(Object.keys(object).sort()).toEqual(['eTag', 'key', 'sequencer', 'size', 'versionId'])
      expect(encodeS3Key(KEY)).toBe(object.key)
    })

    it('a drop delivered once: curated Parquet, quarantine and the manifest in the bucket', async () => {
      const bucket = await lakeBucket()
      const landed = await land(bucket, KEY, MIXED())
      expect(await invoke(bucket, event(sqsRecord(landed)))).toEqual({ batchItemFailures: [] })
      const manifest = await expectOneDrop(bucket, landed)
      expect(manifest.source.name).toBe(KEY)
    })

    it('the same message delivered twice in sequence: one set of objects, one manifest', async () => {
      const bucket = await lakeBucket()
      const landed = await land(bucket, KEY, MIXED())
      const record = sqsRecord(landed)
      expect(await invoke(bucket, event(record))).toEqual({ batchItemFailures: [] })
      const first = await expectOneDrop(bucket, landed)
      expect(await invoke(bucket, event(record))).toEqual({ batchItemFailures: [] })
      expect(await expectOneDrop(bucket, landed)).toEqual(first)
    })

    it('the same message delivered twice at once (two processes): one set of objects, one manifest', async () => {
      const bucket = await lakeBucket()
      const landed = await land(bucket, KEY, MIXED())
      const record = sqsRecord(landed)
      const results = await Promise.all([invoke(bucket, event(record)), invoke(bucket, event(record))])
      // each run either completes the drop or fails only this message, for SQS to redeliver
      for (const result of results) {
        expect([[], [{ itemIdentifier: record.messageId }]]).toContainEqual(result.batchItemFailures)
      }
      if (results.some((r) => r.batchItemFailures.length > 0)) {
        expect(await invoke(bucket, event(record))).toEqual({ batchItemFailures: [] })
      }
      await expectOneDrop(bucket, landed)
    })

    it('a batch with poison records: only their messages fail, the good one is ingested', async () => {
      const bucket = await lakeBucket()
      const landed = await land(bucket, KEY, MIXED())
      const outside = await land(bucket, `uploads/incidents/${DROP_DATE}/incidents.csv`, MIXED())
      const notS3 = sqsRecord('{"hello":"not an S3 event"}')
      const good = sqsRecord(landed)
      const notLanding = sqsRecord(outside)
      const result = await invoke(bucket, event(notS3, good, notLanding))
      expect(result).toEqual({
        batchItemFailures: [{ itemIdentifier: notS3.messageId }, { itemIdentifier: notLanding.messageId }],
      })
      await expectOneDrop(bucket, landed)
    })

    it('reads the version the event names, and records it in the manifest', async () => {
      const bucket = await lakeBucket()
      const first = await land(bucket, KEY, MIXED())
      // the key is overwritten before the first event is handled: the first event still ingests the first bytes
      await land(bucket, KEY, 'not,a,drop\n')
      expect(await invoke(bucket, event(sqsRecord(first)))).toEqual({ batchItemFailures: [] })
      await expectOneDrop(bucket, first)
    })

    it('an overwritten landing object: both versions are ingested, two drop ids', async () => {
      const bucket = await lakeBucket()
      const first = await land(bucket, KEY, MIXED())
      expect(await invoke(bucket, event(sqsRecord(first)))).toEqual({ batchItemFailures: [] })
      // the same drop with one more row: other content, so another drop
      const more = `${MIXED().toString('utf8').trimEnd()}\nINC-0005,2026-03-01T23:50:00+00:00,Burglary,51.5143,-0.0885\n`
      const second = await land(bucket, KEY, more)
      expect(second.versionId).not.toBe(first.versionId)
      expect(await invoke(bucket, event(sqsRecord(second)))).toEqual({ batchItemFailures: [] })
      const manifests = await manifestsOf(bucket)
      expect(manifests).toHaveLength(2)
      const byVersion = new Map(manifests.map((m) => [m.landing_version_id, m]))
      expect(byVersion.get(first.versionId)).toMatchObject({
        rows_accepted: 3,
        source: { bytes: first.size },
      })
      expect(byVersion.get(second.versionId)).toMatchObject({
        rows_accepted: 4,
        source: { bytes: second.size },
      })
      expect(new Set(manifests.map((m) => m.drop_id)).size).toBe(2)
      expect(new Set(manifests.map((m) => m.source.sha256)).size).toBe(2)
      expect(await versionsUnder(bucket, 'curated/')).toHaveLength(2)
    })
  },
)
