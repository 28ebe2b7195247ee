import { createHash, createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { GetParameterCommand, type ParameterType, SSMClient } from '@aws-sdk/client-ssm'
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest'
import type { IngestManifest } from '../../functions/core/ingest/ingest.ts'
import { PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'
import { decodeS3Key, ingestQueueRecord, s3NotificationBody } from '../../functions/ingest/s3-event.ts'
import { TEST_PSEUDONYM_KEY_HEX } from '../helpers/ingest-settings.ts'
import { type FakeS3, fakeS3 } from './helpers/fake-s3.ts'
import { readParquetRows } from './helpers/lake.ts'
import { deadPid } from './helpers/processes.ts'

const LAKE = 'hotspot-lake-test'
/** Where the stack's partition projection starts (the fixtures' drops are dated 2026-03-02). */
const FIRST_DROP_DATE = '2026-03-01'
const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'lambda')
const KEY_PARAMETER = '/hotspot/pseudonym-key'
/** SSM as the force set it up: the key in a SecureString parameter. */
const ssm = mockClient(SSMClient)
const keyParameter = (Type: ParameterType, Value: string) => ({
  Parameter: { Name: KEY_PARAMETER, Type, Value, Version: 1, DataType: 'text' },
})

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'hotspot-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:hotspot-ingest',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/hotspot-ingest',
  logStreamName: '2026/03/02/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 900_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context

/** An S3 event notification as S3 puts it on the queue; `encodedKey` is the key as S3 encodes it. */
function s3Notification(bucket: string, encodedKeys: string[], eventName = 'ObjectCreated:Put'): string {
  return JSON.stringify({
    Records: encodedKeys.map((key) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-2',
      eventTime: '2026-03-02T05:00:00.000Z',
      eventName,
      userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
      requestParameters: { sourceIPAddress: '192.0.2.1' },
      responseElements: { 'x-amz-request-id': 'EXAMPLE', 'x-amz-id-2': 'EXAMPLE' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'landing-created',
        bucket: { name: bucket, ownerIdentity: { principalId: 'EXAMPLE' }, arn: `arn:aws:s3:::${bucket}` },
        object: { key, size: 358, eTag: '0123456789abcdef0123456789abcdef', sequencer: '0A1B2C3D4E5F678901' },
      },
    })),
  })
}

const testEvent = JSON.stringify({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: '2026-03-01T09:00:00.000Z',
  Bucket: LAKE,
  RequestId: '5582815E1AEA5ADF',
  HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
})

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1772427600000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1772427600001',
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:hotspot-ingest',
    awsRegion: 'eu-west-2',
  }
}

const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records })

async function fixture(name: string): Promise<Buffer> {
  return readFile(path.join(FIXTURES, name))
}

function dropIdOf(bytes: Buffer, dropDate = '2026-03-02'): string {
  return `incidents-${dropDate}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`
}

const keysOf = (dropId: string) => ({
  claim: `manifests/claims/ingest/incidents/${dropId}.json`,
  curated: `curated/incidents/dt=2026-03-02/${dropId}.parquet`,
  quarantine: `quarantine/incidents/dt=2026-03-02/${dropId}.jsonl`,
  manifest: `manifests/ingest/incidents/${dropId}.json`,
})

describe('ingest Lambda handler (SQS of S3 events -> ingestLandedObject)', () => {
  let handler: Handler
  let s3: FakeS3
  let logs: Array<Record<string, unknown>>
  let consoleSpies: MockInstance[]

  beforeAll(async () => {
    vi.stubEnv('LAKE_BUCKET', LAKE)
    vi.stubEnv('FIRST_DROP_DATE', FIRST_DROP_DATE)
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'hotspot-ingest-test')
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'hotspot-test')
    // dev mode: the logger writes through the global console, where the test reads it
    vi.stubEnv('POWERTOOLS_DEV', 'true')
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO')
    // dev mode turns metrics off unless told otherwise; on, they are written to the console too
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false')
    vi.stubEnv('PSEUDONYM_KEY_PARAMETER', KEY_PARAMETER)
    vi.stubEnv('PING_ACCURACY_LIMIT_M', '30')
    ssm.reset()
    ssm.on(GetParameterCommand).resolves(keyParameter('SecureString', TEST_PSEUDONYM_KEY_HEX))
    handler = (await import('../../functions/ingest/handler.ts')).handler as unknown as Handler
  })
  afterAll(() => {
    vi.unstubAllEnvs()
  })

  it('reads the pseudonymisation key at cold start: one GetParameter of the configured SecureString, decrypted', () => {
    expect(ssm.calls().map((call) => [call.args[0].constructor.name, call.args[0].input])).toEqual([
      ['GetParameterCommand', { Name: KEY_PARAMETER, WithDecryption: true }],
    ])
  })

  it('stores a pings drop with the pseudonyms of that key, flags by PING_ACCURACY_LIMIT_M, and reads the key no more', async () => {
    const drop = [
      'device_id,recorded_at,lat,lon,accuracy_m',
      'RADIO-9001,2026-03-01T10:00:00Z,51.5178,-0.0823,12',
      'RADIO-9001,2026-03-01T10:00:30Z,51.5179,-0.0822,31',
      'RADIO-9002,2026-03-03T10:00:00Z,51.5179,-0.0822,5',
    ].join('\n')
    const landing = 'landing/patrol_pings/2026-03-02/pings.csv'
    s3.seed(LAKE, landing, drop)
    const response = await handler(sqsEvent(sqsRecord('msg-pings', s3Notification(LAKE, [landing]))), context)
    expect(response).toEqual({ batchItemFailures: [] })
    const key = new PseudonymKey(Buffer.from(TEST_PSEUDONYM_KEY_HEX, 'hex'))
    const manifestKey = s3.keys(LAKE).find((k) => k.startsWith('manifests/ingest/patrol_pings/')) as string
    const manifest = manifestIn(manifestKey)
    expect(manifest).toMatchObject({
      rows_accepted: 2,
      rows_quarantined: 1,
      pseudonym_key_id: key.id,
      accuracy_limit_m: 30,
    })
    const parquet = path.join(tmpdir(), `hotspot-handler-pings-${process.pid}.parquet`)
    await writeFile(parquet, s3.objects(LAKE).get(manifest.outputs.curated as string)?.body as Buffer)
    const pseudonym = `dev-${createHmac('sha256', Buffer.from(TEST_PSEUDONYM_KEY_HEX, 'hex')).update('RADIO-9001').digest('hex').slice(0, 20)}`
    expect((await readParquetRows(parquet)).map((r) => [r.device_id, r.low_accuracy])).toEqual([
      [pseudonym, false],
      [pseudonym, true],
    ])
    await rm(parquet)
    for (const k of s3.keys(LAKE).filter((k) => !k.startsWith('landing/'))) {
      expect(s3.objects(LAKE).get(k)?.body.includes('RADIO-900'), k).toBe(false)
    }
    expect(ssm.calls()).toHaveLength(1)
  })

  beforeEach(() => {
    s3 = fakeS3({ buckets: [LAKE, 'someone-elses-bucket'] })
    logs = []
    const capture = (...args: unknown[]) => {
      for (const arg of args) if (typeof arg === 'string' && arg.startsWith('{')) logs.push(JSON.parse(arg))
    }
    consoleSpies = (['info', 'warn', 'error', 'log', 'debug'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(capture),
    )
  })
  afterEach(() => {
    s3.restore()
    for (const spy of consoleSpies) spy.mockRestore()
  })

  /** The commands sent, reduced to what matters: [command, bucket, key, IfNoneMatch]. */
  const commands = () =>
    s3.sent().map(({ command, input }) => [command, input.Bucket, input.Key, input.IfNoneMatch] as const)

  const manifestIn = (key: string): IngestManifest => JSON.parse(s3.text(LAKE, key) as string)

  it("ingests a drop whose key holds a '+' (delivered as %2B), with exactly the expected S3 commands", async () => {
    const bytes = await fixture('incidents-mixed.csv')
    const landing = 'landing/incidents/2026-03-02/drop+one.csv'
    s3.seed(LAKE, landing, bytes)
    const dropId = dropIdOf(bytes)
    const k = keysOf(dropId)

    const response = await handler(
      sqsEvent(sqsRecord('msg-1', s3Notification(LAKE, ['landing/incidents/2026-03-02/drop%2Bone.csv']))),
      context,
    )

    expect(response).toEqual({ batchItemFailures: [] })
    expect(commands()).toEqual([
      ['GetObject', LAKE, landing, undefined],
      ['HeadObject', LAKE, k.manifest, undefined],
      ['PutObject', LAKE, k.claim, '*'],
      ['PutObject', LAKE, k.curated, '*'],
      ['PutObject', LAKE, k.quarantine, '*'],
      ['PutObject', LAKE, k.manifest, '*'],
    ])
    // a daily drop's Parquet file is sent from memory, as its bytes (the SDK takes their length)
    const curatedPut = s3.sent().find((c) => c.input.Key === k.curated)
    expect(curatedPut?.input.Body).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(curatedPut?.input.Body as Uint8Array)).toEqual(s3.objects(LAKE).get(k.curated)?.body)
    expect(s3.text(LAKE, landing)).toBe(bytes.toString('utf8'))

    const manifest = manifestIn(k.manifest)
    expect(manifest).toMatchObject({
      drop_id: dropId,
      feed: 'incidents',
      drop_date: '2026-03-02',
      source: { landing_key: landing, name: landing, bytes: bytes.length },
      rows_in: 5,
      rows_accepted: 3,
      rows_quarantined: 1,
      rows_duplicate: 1,
      quarantined_by_code: { invalid_value: 1 },
      outputs: { curated: k.curated, quarantine: k.quarantine },
    })
    expect(manifest.rows_in).toBe(
      manifest.rows_accepted + manifest.rows_quarantined + manifest.rows_duplicate,
    )
    const quarantined = (s3.text(LAKE, k.quarantine) as string)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(quarantined).toEqual([
      expect.objectContaining({ line: 4, column: 'crime_type', code: 'invalid_value' }),
    ])

    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'drop ingested',
        service: 'hotspot-ingest-test',
        function_request_id: context.awsRequestId,
        message_id: 'msg-1',
        key: landing,
        outcome: 'ingested',
        drop_id: dropId,
        rows_in: 5,
        rows_accepted: 3,
        rows_quarantined: 1,
        rows_duplicate: 1,
      }),
    )
  })

  it("reads the object at the event's versionId and records that version in the manifest (null without one)", async () => {
    const bytes = await fixture('incidents-mixed.csv')
    const landing = 'landing/incidents/2026-03-02/drop.csv'
    s3.seed(LAKE, landing, bytes)
    const versioned = JSON.parse(s3Notification(LAKE, [landing]))
    versioned.Records[0].s3.object.versionId = '096fKKXTRTtl3on89fVO.nfljtsv6qko'
    expect(s3NotificationBody.parse(versioned)).toEqual({
      kind: 'created',
      objects: [expect.objectContaining({ key: landing, versionId: '096fKKXTRTtl3on89fVO.nfljtsv6qko' })],
    })

    const response = await handler(sqsEvent(sqsRecord('msg-v', JSON.stringify(versioned))), context)

    expect(response).toEqual({ batchItemFailures: [] })
    const gets = s3.sent().filter((c) => c.command === 'GetObject')
    expect(gets.map((c) => [c.input.Key, c.input.VersionId])).toEqual([
      [landing, '096fKKXTRTtl3on89fVO.nfljtsv6qko'],
    ])
    const manifest = manifestIn(keysOf(dropIdOf(bytes)).manifest)
    expect(manifest.landing_version_id).toBe('096fKKXTRTtl3on89fVO.nfljtsv6qko')
    expect(logs).toContainEqual(
      expect.objectContaining({ message: 'drop ingested', version_id: '096fKKXTRTtl3on89fVO.nfljtsv6qko' }),
    )

    // an event without a versionId (an unversioned bucket): the key's object, and no version recorded
    s3.restore()
    s3 = fakeS3({ buckets: [LAKE] })
    s3.seed(LAKE, landing, bytes)
    expect(await handler(sqsEvent(sqsRecord('msg-n', s3Notification(LAKE, [landing]))), context)).toEqual({
      batchItemFailures: [],
    })
    expect(s3.sent().find((c) => c.command === 'GetObject')?.input.VersionId).toBeUndefined()
    expect(manifestIn(keysOf(dropIdOf(bytes)).manifest).landing_version_id).toBeNull()
  })

  it('a second delivery of the same event writes nothing: the manifest exists, so the drop is already ingested', async () => {
    const bytes = await fixture('incidents-mixed.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/drop+one.csv', bytes)
    const event = sqsEvent(
      sqsRecord('msg-1', s3Notification(LAKE, ['landing/incidents/2026-03-02/drop%2Bone.csv'])),
    )
    await handler(event, context)
    const before = new Map([...s3.objects(LAKE)].map(([key, o]) => [key, o.body]))
    s3.clearCalls()
    logs.length = 0

    expect(await handler(event, context)).toEqual({ batchItemFailures: [] })

    const k = keysOf(dropIdOf(bytes))
    expect(commands()).toEqual([
      ['GetObject', LAKE, 'landing/incidents/2026-03-02/drop+one.csv', undefined],
      ['HeadObject', LAKE, k.manifest, undefined],
      ['GetObject', LAKE, k.manifest, undefined],
    ])
    expect(s3.sent().filter((c) => c.command === 'PutObject')).toEqual([])
    expect(new Map([...s3.objects(LAKE)].map(([key, o]) => [key, o.body]))).toEqual(before)
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: 'drop ingested',
        outcome: 'already-ingested',
        rows_in: 5,
        rows_accepted: 3,
      }),
    )
  })

  it('the same message twice in one batch (at-least-once delivery) leaves one set of objects', async () => {
    const bytes = await fixture('incidents-mixed.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/drop+one.csv', bytes)
    const body = s3Notification(LAKE, ['landing/incidents/2026-03-02/drop%2Bone.csv'])
    expect(await handler(sqsEvent(sqsRecord('msg-1', body), sqsRecord('msg-1b', body)), context)).toEqual({
      batchItemFailures: [],
    })
    const k = keysOf(dropIdOf(bytes))
    expect(s3.sent().filter((c) => c.input.Key === k.curated && c.command === 'PutObject')).toHaveLength(1)
    expect(s3.keys(LAKE)).toEqual(
      [k.curated, 'landing/incidents/2026-03-02/drop+one.csv', k.claim, k.manifest, k.quarantine].sort(),
    )
  })

  it("decodes '+' in the event key as a space", async () => {
    const bytes = await fixture('incidents-clean.csv')
    const landing = 'landing/incidents/2026-03-02/drop one.csv'
    s3.seed(LAKE, landing, bytes)
    const k = keysOf(dropIdOf(bytes))

    const response = await handler(
      sqsEvent(sqsRecord('msg-2', s3Notification(LAKE, ['landing/incidents/2026-03-02/drop+one.csv']))),
      context,
    )

    expect(response).toEqual({ batchItemFailures: [] })
    // no quarantine object: every row of this drop is valid
    expect(commands()).toEqual([
      ['GetObject', LAKE, landing, undefined],
      ['HeadObject', LAKE, k.manifest, undefined],
      ['PutObject', LAKE, k.claim, '*'],
      ['PutObject', LAKE, k.curated, '*'],
      ['PutObject', LAKE, k.manifest, '*'],
    ])
    expect(manifestIn(k.manifest)).toMatchObject({
      source: { landing_key: landing },
      rows_in: 2,
      rows_accepted: 2,
      rows_quarantined: 0,
      rows_duplicate: 0,
      outputs: { curated: k.curated, quarantine: null },
    })
  })

  it('ingests every object of a notification that names several', async () => {
    const mixed = await fixture('incidents-mixed.csv')
    const clean = await fixture('incidents-clean.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/a.csv', mixed)
    s3.seed(LAKE, 'landing/incidents/2026-03-02/b.csv', clean)
    const body = s3Notification(LAKE, [
      'landing/incidents/2026-03-02/a.csv',
      'landing/incidents/2026-03-02/b.csv',
    ])
    expect(await handler(sqsEvent(sqsRecord('msg-1', body)), context)).toEqual({ batchItemFailures: [] })
    expect(s3.objects(LAKE).has(keysOf(dropIdOf(mixed)).manifest)).toBe(true)
    expect(s3.objects(LAKE).has(keysOf(dropIdOf(clean)).manifest)).toBe(true)
  })

  it("publishes each drop's accepted, quarantined and duplicate rows as metrics of its feed (EMF)", async () => {
    const mixed = await fixture('incidents-mixed.csv')
    const clean = await fixture('incidents-clean.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/a.csv', mixed)
    s3.seed(LAKE, 'landing/incidents/2026-03-02/b.csv', clean)
    const body = s3Notification(LAKE, [
      'landing/incidents/2026-03-02/a.csv',
      'landing/incidents/2026-03-02/b.csv',
    ])
    expect(await handler(sqsEvent(sqsRecord('msg-1', body)), context)).toEqual({ batchItemFailures: [] })
    const manifests = [mixed, clean].map((bytes) => manifestIn(keysOf(dropIdOf(bytes)).manifest))
    expect(manifests[0]?.rows_quarantined).toBeGreaterThan(0)
    const emf = logs.filter((l) => l._aws)
    expect(emf).toEqual(
      manifests.map((m) => ({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'hotspot-test',
              Dimensions: [['service', 'feed']],
              Metrics: [
                { Name: 'RowsAccepted', Unit: 'Count' },
                { Name: 'RowsQuarantined', Unit: 'Count' },
                { Name: 'RowsDuplicate', Unit: 'Count' },
              ],
            },
          ],
        },
        service: 'hotspot-ingest-test',
        feed: 'incidents',
        RowsAccepted: m.rows_accepted,
        RowsQuarantined: m.rows_quarantined,
        RowsDuplicate: m.rows_duplicate,
      })),
    )
  })

  it('reports exactly the failed record of a batch: the middle one names a missing object', async () => {
    const mixed = await fixture('incidents-mixed.csv')
    const clean = await fixture('incidents-clean.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/first.csv', mixed)
    s3.seed(LAKE, 'landing/incidents/2026-03-02/third.csv', clean)

    const response = await handler(
      sqsEvent(
        sqsRecord('msg-a', s3Notification(LAKE, ['landing/incidents/2026-03-02/first.csv'])),
        sqsRecord('msg-b', s3Notification(LAKE, ['landing/incidents/2026-03-02/missing.csv'])),
        sqsRecord('msg-c', s3Notification(LAKE, ['landing/incidents/2026-03-02/third.csv'])),
      ),
      context,
    )

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-b' }] })
    expect(s3.objects(LAKE).has(keysOf(dropIdOf(mixed)).manifest)).toBe(true)
    expect(s3.objects(LAKE).has(keysOf(dropIdOf(clean)).manifest)).toBe(true)
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'ingest failed',
        message_id: 'msg-b',
        key: 'landing/incidents/2026-03-02/missing.csv',
        error: expect.objectContaining({ name: 'ObjectNotFoundError' }),
      }),
    )
  })

  it('fails a record for another bucket, without touching either bucket', async () => {
    const clean = await fixture('incidents-clean.csv')
    s3.seed('someone-elses-bucket', 'landing/incidents/2026-03-02/x.csv', clean)
    const response = await handler(
      sqsEvent(
        sqsRecord('msg-x', s3Notification('someone-elses-bucket', ['landing/incidents/2026-03-02/x.csv'])),
      ),
      context,
    )
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-x' }] })
    expect(s3.sent()).toEqual([])
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        error: expect.objectContaining({
          message: expect.stringMatching(/is not the lake bucket hotspot-lake-test/),
        }),
      }),
    )
  })

  it('fails a record whose key is not a landing key', async () => {
    s3.seed(LAKE, 'curated/incidents/dt=2026-03-02/x.csv', 'incident_id\n')
    s3.seed(LAKE, 'landing/incidents/20260302/x.csv', 'incident_id\n')
    const response = await handler(
      sqsEvent(
        sqsRecord('msg-curated', s3Notification(LAKE, ['curated/incidents/dt%3D2026-03-02/x.csv'])),
        sqsRecord('msg-bad-date', s3Notification(LAKE, ['landing/incidents/20260302/x.csv'])),
      ),
      context,
    )
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'msg-curated' }, { itemIdentifier: 'msg-bad-date' }],
    })
    expect(s3.sent()).toEqual([])
    expect(
      logs.filter((l) => l.level === 'ERROR').map((l) => (l.error as { message: string }).message),
    ).toEqual([
      expect.stringMatching(/curated\/incidents\/dt=2026-03-02\/x\.csv: not a landing key/),
      expect.stringMatching(/landing\/incidents\/20260302\/x\.csv: not a landing key/),
    ])
  })

  it('refuses a drop dated before the first drop date (Athena would never read it): nothing read or written', async () => {
    const clean = await fixture('incidents-clean.csv')
    s3.seed(LAKE, 'landing/incidents/2026-02-28/early.csv', clean)
    s3.seed(LAKE, 'landing/incidents/2026-03-01/first.csv', clean)
    const response = await handler(
      sqsEvent(
        sqsRecord('msg-early', s3Notification(LAKE, ['landing/incidents/2026-02-28/early.csv'])),
        sqsRecord('msg-first', s3Notification(LAKE, ['landing/incidents/2026-03-01/first.csv'])),
      ),
      context,
    )
    // redelivered, then to the dead-letter queue (alarmed); the drop on the first date itself is ingested
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-early' }] })
    const touched = s3.sent().map((c) => c.input.Key as string)
    expect(touched.filter((key) => key.includes('2026-02-28'))).toEqual([])
    expect(touched).toContain('landing/incidents/2026-03-01/first.csv')
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'drop refused: dated before the first drop date',
        key: 'landing/incidents/2026-02-28/early.csv',
        error: expect.objectContaining({
          name: 'BeforeFirstDropError',
          message: expect.stringMatching(
            /drop date 2026-02-28 is before the first drop date 2026-03-01, .*Athena would never read it.*-c firstDropDate/,
          ),
        }),
      }),
    )
  })

  it('quarantines a drop dated after tomorrow in London with the reason, and fails its record until the dead-letter queue', async () => {
    // "now" is 23:30 UTC on 2 March 2026 (GMT): tomorrow in London is 3 March
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-03-02T23:30:00Z'))
    try {
      const clean = await fixture('incidents-clean.csv')
      const future = 'landing/incidents/2062-11-10/drop.csv'
      s3.seed(LAKE, future, clean)
      s3.seed(LAKE, 'landing/incidents/2026-03-03/drop.csv', clean)
      const dropId = dropIdOf(clean, '2062-11-10')
      const quarantine = `quarantine/incidents/dt=2062-11-10/${dropId}.jsonl`
      const event = sqsEvent(
        sqsRecord('msg-future', s3Notification(LAKE, [future])),
        sqsRecord('msg-tomorrow', s3Notification(LAKE, ['landing/incidents/2026-03-03/drop.csv'])),
      )

      expect(await handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-future' }] })

      expect(commands().filter(([, , key]) => String(key).includes('2062-11-10'))).toEqual([
        ['GetObject', LAKE, future, undefined],
        ['PutObject', LAKE, quarantine, '*'],
      ])
      const reason =
        'drop date 2062-11-10 is after 2026-03-03, tomorrow in London, the latest accepted: ' +
        'a mistyped date would hide every later correction'
      expect(JSON.parse(s3.text(LAKE, quarantine) as string)).toEqual({
        drop_id: dropId,
        feed: 'incidents',
        file: future,
        line: 0,
        column: null,
        code: 'file_rejected',
        reason,
      })
      expect(s3.objects(LAKE).has(`manifests/ingest/incidents/${dropIdOf(clean, '2026-03-03')}.json`)).toBe(
        true,
      )
      expect(logs).toContainEqual(
        expect.objectContaining({
          level: 'ERROR',
          message: 'drop refused: dated after tomorrow in London',
          message_id: 'msg-future',
          key: future,
          error: expect.objectContaining({
            name: 'DropDateRefusedError',
            message: `${future}: rejected: ${reason}`,
          }),
        }),
      )

      // a redelivery (SQS tries maxReceiveCount times, then dead-letters it) fails the same way and adds nothing
      s3.clearCalls()
      expect(
        await handler(sqsEvent(sqsRecord('msg-future', s3Notification(LAKE, [future]))), context),
      ).toEqual({
        batchItemFailures: [{ itemIdentifier: 'msg-future' }],
      })
      expect(commands()).toEqual([
        ['GetObject', LAKE, future, undefined],
        ['PutObject', LAKE, quarantine, '*'],
      ])
      expect(s3.keys(LAKE).filter((key) => key.includes('2062-11-10'))).toEqual([future, quarantine].sort())
    } finally {
      vi.useRealTimers()
    }
  })

  it('ignores the s3:TestEvent S3 sends when the notification is set up', async () => {
    const response = await handler(sqsEvent(sqsRecord('msg-test', testEvent)), context)
    expect(response).toEqual({ batchItemFailures: [] })
    expect(s3.sent()).toEqual([])
    expect(logs).toContainEqual(expect.objectContaining({ message: 'S3 test event ignored', bucket: LAKE }))
  })

  it("removes the work folders a dead runtime left in /tmp before it ingests (a warm environment's /tmp is kept)", async () => {
    const left = path.join(tmpdir(), `hotspot-landed-${await deadPid()}-aB3dE6`)
    await mkdir(path.join(left, 'drop'), { recursive: true })
    const response = await handler(sqsEvent(sqsRecord('msg-test', testEvent)), context)
    expect(response).toEqual({ batchItemFailures: [] })
    expect(existsSync(left)).toBe(false)
    expect(logs).toContainEqual(
      expect.objectContaining({
        message: 'work folders of a dead runtime removed',
        folders: expect.arrayContaining([left]),
      }),
    )
  })

  it('ignores a folder marker created in landing/ (a zero-byte key ending in /)', async () => {
    const body = JSON.parse(s3Notification(LAKE, ['landing/incidents/2026-03-02/']))
    body.Records[0].s3.object.size = 0
    expect(await handler(sqsEvent(sqsRecord('msg-folder', JSON.stringify(body))), context)).toEqual({
      batchItemFailures: [],
    })
    expect(s3.sent()).toEqual([])
  })

  it('fails an unreadable drop (FileRejectedError): recorded under quarantine/, no manifest, redelivered', async () => {
    const bytes = await fixture('incidents-bad-header.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/bad.csv', bytes)
    const k = keysOf(dropIdOf(bytes))
    const response = await handler(
      sqsEvent(sqsRecord('msg-bad', s3Notification(LAKE, ['landing/incidents/2026-03-02/bad.csv']))),
      context,
    )
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-bad' }] })
    expect(s3.objects(LAKE).has(k.manifest)).toBe(false)
    expect(s3.objects(LAKE).has(k.curated)).toBe(false)
    expect(JSON.parse(s3.text(LAKE, k.quarantine) as string)).toMatchObject({
      code: 'file_rejected',
      line: 1,
    })
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'drop rejected: file cannot be read',
        error: expect.objectContaining({ name: 'FileRejectedError' }),
      }),
    )
  })

  it('fails messages that are not S3 ObjectCreated notifications', async () => {
    const response = await handler(
      sqsEvent(
        sqsRecord('msg-text', 'not json'),
        sqsRecord('msg-shape', JSON.stringify({ hello: 'world' })),
        sqsRecord(
          'msg-removed',
          s3Notification(LAKE, ['landing/incidents/2026-03-02/a.csv'], 'ObjectRemoved:Delete'),
        ),
      ),
      context,
    )
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'msg-text',
      'msg-shape',
      'msg-removed',
    ])
    expect(s3.sent()).toEqual([])
  })

  it('fails a malformed body without stopping the batch, and logs why with the message id', async () => {
    const clean = await fixture('incidents-clean.csv')
    s3.seed(LAKE, 'landing/incidents/2026-03-02/good.csv', clean)
    const truncated = s3Notification(LAKE, ['landing/incidents/2026-03-02/x.csv']).slice(0, 80)
    const noBucket = JSON.parse(s3Notification(LAKE, ['landing/incidents/2026-03-02/x.csv']))
    delete noBucket.Records[0].s3.bucket
    const response = await handler(
      sqsEvent(
        sqsRecord('msg-truncated', truncated),
        sqsRecord('msg-no-bucket', JSON.stringify(noBucket)),
        sqsRecord('msg-good', s3Notification(LAKE, ['landing/incidents/2026-03-02/good.csv'])),
      ),
      context,
    )
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: 'msg-truncated' }, { itemIdentifier: 'msg-no-bucket' }],
    })
    expect(s3.objects(LAKE).has(keysOf(dropIdOf(clean)).manifest)).toBe(true)
    const parseErrors = logs.filter((l) => l.message === 'message is not an S3 ObjectCreated notification')
    expect(parseErrors.map((l) => [l.level, l.message_id])).toEqual([
      ['ERROR', 'msg-truncated'],
      ['ERROR', 'msg-no-bucket'],
    ])
    expect(parseErrors.map((l) => (l.error as { message: string }).message)).toEqual([
      expect.stringMatching(/^body: Invalid JSON/),
      expect.stringMatching(/^body\.Records\.0\.s3\.bucket: /),
    ])
  })
})

describe('S3 event notification parsing', () => {
  it.each([
    ['landing/incidents/2026-03-02/drop%2Bone.csv', 'landing/incidents/2026-03-02/drop+one.csv'],
    ['landing/incidents/2026-03-02/drop+one.csv', 'landing/incidents/2026-03-02/drop one.csv'],
    ['landing/incidents/2026-03-02/a%2Fb.csv', 'landing/incidents/2026-03-02/a/b.csv'],
    ['landing/tips/2026-03-02/caf%C3%A9+%231+%28copy%29.csv', 'landing/tips/2026-03-02/café #1 (copy).csv'],
    ['landing/incidents/2026-03-02/50%25+done.csv', 'landing/incidents/2026-03-02/50% done.csv'],
  ])('decodes %s as %s', (encoded, key) => {
    expect(decodeS3Key(encoded)).toBe(key)
  })

  it('rejects a key that is not URL-encoded', () => {
    expect(() => decodeS3Key('landing/incidents/2026-03-02/100%.csv')).toThrow(/not URL-encoded/)
  })

  it('parses the test event and ObjectCreated records', () => {
    expect(ingestQueueRecord.parse(sqsRecord('msg-test', testEvent)).body).toEqual({
      kind: 'test',
      bucket: LAKE,
    })
    expect(
      ingestQueueRecord.parse(
        sqsRecord(
          'msg-1',
          s3Notification('b', ['landing/x/2026-01-01/a+b.csv'], 'ObjectCreated:CompleteMultipartUpload'),
        ),
      ).body,
    ).toEqual({
      kind: 'created',
      objects: [
        {
          bucket: 'b',
          key: 'landing/x/2026-01-01/a b.csv',
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          size: 358,
        },
      ],
    })
  })

  it("takes an upload from an IPv6 address (S3 dual-stack endpoints), which Powertools' S3 schema alone refuses", () => {
    const body = JSON.parse(s3Notification('b', ['landing/x/2026-01-01/a.csv']))
    body.Records[0].requestParameters.sourceIPAddress = '2001:db8::1'
    expect(s3NotificationBody.parse(body)).toMatchObject({ kind: 'created' })
  })

  it.each([
    ['no record', { Records: [] }, /Records: Too small/],
    ['another event', JSON.parse(s3Notification('b', ['k'], 'ObjectRemoved:Delete')), /is not ObjectCreated/],
    ['another test event', { Service: 'Amazon S3', Event: 's3:Other' }, /Invalid discriminator value/],
    [
      'a key not URL-encoded',
      JSON.parse(s3Notification('b', ['landing/x/2026-01-01/100%.csv'])),
      /not URL-encoded/,
    ],
  ])('refuses %s', (_, body, message) => {
    const parsed = s3NotificationBody.safeParse(body)
    expect(parsed.success).toBe(false)
    expect(
      parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    ).toMatch(message)
  })
})

describe('ingest Lambda configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.resetModules()
  })

  it('refuses to start without LAKE_BUCKET, naming the variable', async () => {
    vi.resetModules()
    vi.stubEnv('LAKE_BUCKET', undefined)
    await expect(import('../../functions/ingest/handler.ts')).rejects.toThrow(
      /ingest function: invalid configuration: LAKE_BUCKET: is required: the name of the lake bucket/,
    )
  })

  it('refuses to start without a valid FIRST_DROP_DATE, naming the variable', async () => {
    vi.resetModules()
    vi.stubEnv('LAKE_BUCKET', LAKE)
    vi.stubEnv('FIRST_DROP_DATE', undefined)
    await expect(import('../../functions/ingest/handler.ts')).rejects.toThrow(
      /FIRST_DROP_DATE: is required: the force's first drop date/,
    )
    vi.resetModules()
    vi.stubEnv('FIRST_DROP_DATE', '2026-02-30')
    await expect(import('../../functions/ingest/handler.ts')).rejects.toThrow(
      /FIRST_DROP_DATE: "2026-02-30" is not a date/,
    )
  })

  /** The environment the stack gives the function. */
  function stubStackEnv(): void {
    vi.stubEnv('LAKE_BUCKET', LAKE)
    vi.stubEnv('FIRST_DROP_DATE', FIRST_DROP_DATE)
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'hotspot-test')
    vi.stubEnv('PSEUDONYM_KEY_PARAMETER', KEY_PARAMETER)
  }

  it('refuses to start without PSEUDONYM_KEY_PARAMETER, naming the variable (no default key)', async () => {
    vi.resetModules()
    stubStackEnv()
    vi.stubEnv('PSEUDONYM_KEY_PARAMETER', undefined)
    await expect(import('../../functions/ingest/handler.ts')).rejects.toThrow(
      'ingest function: invalid configuration: PSEUDONYM_KEY_PARAMETER: is required: the name of the ' +
        'SecureString SSM parameter holding the pseudonymisation key of device ids (hex)',
    )
  })

  it('refuses to start when the key parameter is not a SecureString, not a key, or unreadable, never showing it', async () => {
    stubStackEnv()
    const short = TEST_PSEUDONYM_KEY_HEX.slice(0, 62)
    for (const [answer, problem] of [
      [keyParameter('String', TEST_PSEUDONYM_KEY_HEX), 'is a String, not a SecureString'],
      [
        keyParameter('SecureString', short),
        'is not a key of at least 64 hex digits (32 bytes): make one with `openssl rand -hex 32`',
      ],
    ] as const) {
      vi.resetModules()
      ssm.reset()
      ssm.on(GetParameterCommand).resolves(answer)
      const failure = import('../../functions/ingest/handler.ts')
      await expect(failure).rejects.toThrow(
        `ingest function: invalid configuration: SSM parameter ${KEY_PARAMETER} (the pseudonymisation key): ${problem}`,
      )
      await expect(failure).rejects.not.toThrow(short)
    }
    vi.resetModules()
    ssm.reset()
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }))
    await expect(import('../../functions/ingest/handler.ts')).rejects.toThrow(
      `SSM parameter ${KEY_PARAMETER} (the pseudonymisation key): cannot be read: ParameterNotFound: not found`,
    )
  })

  it('refuses an empty or malformed LAKE_BUCKET', async () => {
    vi.resetModules()
    vi.stubEnv('LAKE_BUCKET', '')
    await expect(import('../../functions/ingest/handler.ts')).rejects.toThrow(
      /LAKE_BUCKET: "" is not an S3 bucket name/,
    )
  })
})
