/**
 * The storage construct on its own, in a bare stack: the buckets (public access, TLS, KMS, versioning, lifecycle,
 * Object Lock on archive/ and manifests/) and the data bucket's notification of new objects to a queue.
 */
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { describe, expect, it } from 'vitest'
import { Storage } from '../../lib/storage.ts'
import { asArray, bareStack, flat, type Json, refId, resourcesOf, templateOf } from './synth.ts'

const stack = bareStack()
const storage = new Storage(stack, 'Storage', {
  namePrefix: 'hotspot',
  recordsLock: { mode: 'GOVERNANCE', days: 2557 },
})
const queue = new sqs.Queue(stack, 'Queue')
storage.notifyOnCreated('landing/', queue)
const { template, id } = templateOf(stack)
const resource = (logicalId: string) => template.Resources[logicalId]

describe('buckets', () => {
  const buckets = () => ({
    data: resource(id(storage.data)),
    results: resource(id(storage.results)),
    accessLogs: resource(id(storage.accessLogs)),
  })
  const policyOf = (bucketId: string) =>
    resourcesOf(template, 'AWS::S3::BucketPolicy').find((p) => refId(p.Properties.Bucket) === bucketId)

  it('block all public access, are versioned and allow TLS (1.2 and up) only', () => {
    for (const [name, bucket] of Object.entries(buckets())) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, name).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      })
      expect(bucket.Properties.VersioningConfiguration, name).toEqual({ Status: 'Enabled' })
      const bucketId = Object.entries(template.Resources).find(([, r]) => r === bucket)?.[0] as string
      const statements = asArray(policyOf(bucketId)?.Properties.PolicyDocument.Statement)
      const tls = statements.find((st) => st.Condition?.Bool?.['aws:SecureTransport'] === 'false')
      expect(tls, `${name}: a Deny of plain HTTP`).toMatchObject({ Effect: 'Deny', Action: 's3:*' })
      expect(tls.Principal).toEqual({ AWS: '*' })
      expect(asArray(tls.Resource).map(flat).sort()).toEqual([`<${bucketId}.Arn>`, `<${bucketId}.Arn>/*`])
      const old = statements.find((st) => st.Condition?.NumericLessThan?.['s3:TlsVersion'] !== undefined)
      expect(old, `${name}: a Deny of TLS < 1.2`).toMatchObject({ Effect: 'Deny', Action: 's3:*' })
      expect(Number(old.Condition.NumericLessThan['s3:TlsVersion'])).toBe(1.2)
    }
  })

  it('encrypt the lake and the query results with the customer managed key, which rotates', () => {
    const keyId = id(storage.key)
    expect(resource(keyId).Properties.EnableKeyRotation).toBe(true)
    for (const name of ['data', 'results'] as const) {
      const [rule] = buckets()[name].Properties.BucketEncryption.ServerSideEncryptionConfiguration
      expect(rule.ServerSideEncryptionByDefault.SSEAlgorithm, name).toBe('aws:kms')
      expect(refId(rule.ServerSideEncryptionByDefault.KMSMasterKeyID), name).toBe(keyId)
      expect(rule.BucketKeyEnabled, name).toBe(true)
    }
    // S3 server access logs can only be delivered to an SSE-S3 bucket
    const [logs] = buckets().accessLogs.Properties.BucketEncryption.ServerSideEncryptionConfiguration
    expect(logs.ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256')
  })

  it('log access to the data and results buckets in the access-log bucket', () => {
    const logsId = id(storage.accessLogs)
    for (const name of ['data', 'results'] as const) {
      expect(refId(buckets()[name].Properties.LoggingConfiguration.DestinationBucketName), name).toBe(logsId)
    }
  })

  it('move landing/ to Glacier Instant Retrieval after 90 days and expire noncurrent versions', () => {
    const rules = buckets().data.Properties.LifecycleConfiguration.Rules as Json[]
    const landing = rules.find((r) => r.Prefix === 'landing/')
    expect(landing).toMatchObject({
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
    })
    const noncurrent = rules.find((r) => r.NoncurrentVersionExpiration)
    expect(noncurrent).toMatchObject({
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    })
    expect(noncurrent.Prefix ?? noncurrent.Filter).toBeUndefined()
  })

  it('lock archive/ and manifests/: Object Lock on, and no write there without a retention of the configured mode and length', () => {
    const data = buckets().data
    expect(data.Properties.ObjectLockEnabled).toBe(true)
    // no default retention: landing/ (raw drops, personal data) and ledger/ stay deletable
    expect(data.Properties.ObjectLockConfiguration?.Rule).toBeUndefined()
    const dataId = id(storage.data)
    const denies = asArray(policyOf(dataId)?.Properties.PolicyDocument.Statement).filter(
      (st) => st.Effect === 'Deny' && st.Action === 's3:PutObject',
    )
    for (const st of denies) {
      expect(st.Principal).toEqual({ AWS: '*' })
      expect(asArray(st.Resource).map(flat).sort()).toEqual([
        `<${dataId}.Arn>/archive/*`,
        `<${dataId}.Arn>/manifests/*`,
      ])
    }
    const conditions = denies.map((st) => st.Condition)
    expect(conditions).toContainEqual({ Null: { 's3:object-lock-mode': 'true' } })
    expect(conditions).toContainEqual({ Null: { 's3:object-lock-remaining-retention-days': 'true' } })
    expect(conditions).toContainEqual({ StringNotEquals: { 's3:object-lock-mode': 'GOVERNANCE' } })
    expect(conditions).toContainEqual({
      NumericLessThan: { 's3:object-lock-remaining-retention-days': '2556' },
    })
  })

  it('keep the lake, the logs and the key when the stack is deleted', () => {
    for (const logicalId of [
      id(storage.data),
      id(storage.results),
      id(storage.accessLogs),
      id(storage.key),
    ]) {
      expect(resource(logicalId).DeletionPolicy, logicalId).toBe('Retain')
    }
  })
})

describe('notification of new objects', () => {
  it('S3 sends ObjectCreated:* under the prefix to the queue, whose policy lets exactly this bucket send', () => {
    const data = resource(id(storage.data))
    expect(data.Properties.NotificationConfiguration).toEqual({
      QueueConfigurations: [
        {
          Event: 's3:ObjectCreated:*',
          Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'landing/' }] } },
          Queue: { 'Fn::GetAtt': [id(queue), 'Arn'] },
        },
      ],
    })
    const [policy, ...more] = resourcesOf(template, 'AWS::SQS::QueuePolicy')
    expect(more).toEqual([])
    // S3 checks the queue policy when it creates the bucket's notification
    expect(asArray(data.DependsOn)).toContain(policy?.id)
    const [send] = asArray(policy?.Properties.PolicyDocument.Statement)
    expect(send).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    })
    // the bucket by its constructed name: a reference to the bucket would be a cycle
    expect(flat(send.Condition.ArnEquals['aws:SourceArn'])).toBe(
      'arn:<AWS::Partition>:s3:::hotspot-data-<AWS::AccountId>-<AWS::Region>',
    )
    expect(refId(policy?.Properties.Queues[0])).toBe(id(queue))
  })

  it('refuses a second queue: the bucket has one notification configuration', () => {
    expect(() => storage.notifyOnCreated('other/', new sqs.Queue(stack, 'Other'))).toThrow(
      /already notifies; one queue takes its events/,
    )
  })
})
