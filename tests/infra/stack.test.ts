import type { CfnElement } from 'aws-cdk-lib'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { analyticsConfig } from '../../functions/analytics/config.ts'
import { MART_NAMES } from '../../functions/core/analytics/marts.ts'
import { FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { ingestConfig } from '../../functions/ingest/config.ts'
import { reportsConfig } from '../../functions/reports/config.ts'
import { LAMBDA_QUERIES_DIR } from '../../lib/analytics.ts'
import { EXAMPLE_CONTEXT } from '../../lib/config.ts'
import { INGEST_MAX_RECEIVE_COUNT } from '../../lib/ingest.ts'
import type { HotspotFunction } from '../../lib/lambda.ts'
import { SES_BOUNCE_RATE_ALARM, SES_COMPLAINT_RATE_ALARM } from '../../lib/monitoring.ts'
import { asArray, flat, type Json, refId, resourcesOf, type Synthesized, synthesize } from './synth.ts'

let s: Synthesized
let template: Json
/** The logical id in the template (an overridden one included). */
const lid = (element: CfnElement): string => s.stack.resolve(element.logicalId)
const id = (construct: { node: { defaultChild?: unknown } }) => lid(construct.node.defaultChild as CfnElement)

/** Not the example's: the projections must start at the date given on the command line. */
const FIRST_DROP_DATE = '2023-06-15'
/** Not the example's either: the parameter the force made, and its own accuracy limit. */
const KEY_PARAMETER = '/force-x/hotspot/pseudonym-key'
const ACCURACY_LIMIT_M = '40'

beforeAll(() => {
  s = synthesize({
    firstDropDate: FIRST_DROP_DATE,
    pseudonymKeyParameter: KEY_PARAMETER,
    pingAccuracyLimitM: ACCURACY_LIMIT_M,
  })
  template = s.template
}, 180_000)

const resource = (logicalId: string) => template.Resources[logicalId]

/** Every policy statement that applies to a role: its inline policies, AWS::IAM::Policy and managed policies. */
function statementsOf(roleId: string): Json[] {
  const attached = (r: Json) => asArray(r.Properties.Roles).some((role: Json) => refId(role) === roleId)
  return [
    ...asArray(resource(roleId).Properties.Policies).flatMap((p: Json) =>
      asArray(p.PolicyDocument.Statement),
    ),
    ...resourcesOf(template, 'AWS::IAM::Policy')
      .filter(attached)
      .flatMap((p) => asArray(p.Properties.PolicyDocument.Statement)),
    ...resourcesOf(template, 'AWS::IAM::ManagedPolicy')
      .filter(attached)
      .flatMap((p) => asArray(p.Properties.PolicyDocument.Statement)),
  ]
}

/** The object-key patterns of the data bucket an Allow statement gives `action` on, e.g. `curated/*`. */
function dataKeysWith(roleId: string, action: string): string[] {
  const data = `<${id(s.stack.storage.data)}.Arn>/`
  const keys = statementsOf(roleId)
    .filter((st) => st.Effect === 'Allow' && asArray(st.Action).includes(action))
    .flatMap((st) => asArray(st.Resource).map(flat))
    .filter((r) => r.startsWith(data))
    .map((r) => r.slice(data.length))
  return [...new Set(keys)].sort()
}

function functionResource(fn: HotspotFunction): Json {
  return resource(s.stack.getLogicalId(fn.fn.node.defaultChild as CfnElement))
}
function roleIdOf(fn: HotspotFunction): string {
  return s.stack.getLogicalId(fn.role.node.defaultChild as CfnElement)
}

const functions = () => ({
  ingest: s.stack.ingest.function,
  analytics: s.stack.analytics.function,
  reports: s.stack.reporting.function,
})

describe('partition projection (Glue tables)', () => {
  const tables = () => resourcesOf(template, 'AWS::Glue::Table').map((t) => t.Properties.TableInput as Json)

  it('every projected date partition starts at the first drop date (-c firstDropDate) and ends tomorrow', () => {
    const ranges: Record<string, string> = {}
    for (const input of tables()) {
      const parameters: Record<string, string> = input.Parameters ?? {}
      for (const [key, value] of Object.entries(parameters)) {
        const m = /^projection\.([a-z_]+)\.type$/.exec(key)
        if (m && value === 'date')
          ranges[`${input.Name}.${m[1]}`] = parameters[`projection.${m[1]}.range`] as string
      }
    }
    // every feed's versions by drop date, every mart's runs by as-of date, and the quarantine by drop date
    expect(Object.keys(ranges).sort()).toEqual(
      [
        ...FEED_NAMES.map((feed) => `${feed}_versions.dt`),
        ...MART_NAMES.map((mart) => `${mart}_runs.as_of`),
        'quarantine.dt',
      ].sort(),
    )
    for (const [column, range] of Object.entries(ranges)) {
      expect(range, column).toBe(`${FIRST_DROP_DATE},NOW+2DAYS`)
    }
  })
})

describe('ingest: landing/ -> SQS -> Lambda', () => {
  it("the lake's new objects under landing/ go to the ingest queue, which takes them from the lake's name", () => {
    // the notification itself is Storage.notifyOnCreated's (storage.test.ts)
    const queueId = id(s.stack.ingest.queue)
    const data = resource(id(s.stack.storage.data))
    expect(data.Properties.NotificationConfiguration.QueueConfigurations).toEqual([
      {
        Event: 's3:ObjectCreated:*',
        Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'landing/' }] } },
        Queue: { 'Fn::GetAtt': [queueId, 'Arn'] },
      },
    ])
    const policy = resourcesOf(template, 'AWS::SQS::QueuePolicy').find((p) =>
      asArray(p.Properties.Queues).some((q: Json) => refId(q) === queueId),
    )
    const send = asArray(policy?.Properties.PolicyDocument.Statement).find(
      (st) => st.Action === 'sqs:SendMessage',
    )
    expect(flat(send.Condition.ArnEquals['aws:SourceArn'])).toBe(
      `arn:<AWS::Partition>:s3:::${flat(data.Properties.BucketName)}`,
    )
  })

  it('redrives to the DLQ after 3 receives and hides a message for 6 times the function timeout', () => {
    const queue = resource(id(s.stack.ingest.queue))
    const timeout = functionResource(functions().ingest).Properties.Timeout
    expect(timeout).toBeGreaterThan(0)
    expect(queue.Properties.VisibilityTimeout).toBe(6 * timeout)
    expect(queue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [id(s.stack.ingest.deadLetterQueue), 'Arn'] },
      maxReceiveCount: INGEST_MAX_RECEIVE_COUNT,
    })
    expect(INGEST_MAX_RECEIVE_COUNT).toBe(3)
  })

  it('the event source reports partial batch failures, in batches of 1 to 10', () => {
    const [mapping, ...others] = resourcesOf(template, 'AWS::Lambda::EventSourceMapping')
    expect(others).toEqual([])
    expect(refId(mapping?.Properties.EventSourceArn)).toBe(id(s.stack.ingest.queue))
    expect(refId(mapping?.Properties.FunctionName)).toBe(id(functions().ingest.fn))
    expect(mapping?.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures'])
    expect(mapping?.Properties.BatchSize).toBeGreaterThanOrEqual(1)
    expect(mapping?.Properties.BatchSize).toBeLessThanOrEqual(10)
  })

  it('needs no custom resource (the notification is a property of the bucket, not a helper Lambda)', () => {
    const types = Object.values(template.Resources as Record<string, Json>).map((r) => r.Type as string)
    expect(
      types.filter((t) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource'),
    ).toEqual([])
  })

  it('every queue is encrypted and refuses plain HTTP', () => {
    for (const queue of resourcesOf(template, 'AWS::SQS::Queue')) {
      expect(queue.Properties.SqsManagedSseEnabled ?? queue.Properties.KmsMasterKeyId, queue.id).toBeTruthy()
      const policy = resourcesOf(template, 'AWS::SQS::QueuePolicy').find((p) =>
        asArray(p.Properties.Queues).some((q: Json) => refId(q) === queue.id),
      )
      const tls = asArray(policy?.Properties.PolicyDocument.Statement).find(
        (st) => st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      )
      expect(tls, queue.id).toMatchObject({ Effect: 'Deny' })
    }
  })
})

describe('schedules (EventBridge Scheduler, Europe/London)', () => {
  const expected = () => [
    {
      schedule: s.stack.analytics.schedule,
      expression: 'cron(30 3 * * ? *)',
      fn: functions().analytics,
      input: { scheduled_time: '<aws.scheduler.scheduled-time>' },
      dlq: s.stack.analytics.scheduleDeadLetterQueue,
    },
    {
      schedule: s.stack.reporting.weekly,
      expression: 'cron(0 7 ? * MON *)',
      fn: functions().reports,
      input: { report: 'weekly', scheduled_time: '<aws.scheduler.scheduled-time>' },
      dlq: s.stack.reporting.weeklyDeadLetterQueue,
    },
    {
      schedule: s.stack.reporting.monthly,
      expression: 'cron(0 7 1 * ? *)',
      fn: functions().reports,
      input: { report: 'monthly', scheduled_time: '<aws.scheduler.scheduled-time>' },
      dlq: s.stack.reporting.monthlyDeadLetterQueue,
    },
  ]

  it('nightly 03:30, weekly Monday 07:00, monthly the 1st 07:00, in Europe/London, at the minute', () => {
    const schedules = resourcesOf(template, 'AWS::Scheduler::Schedule')
    expect(schedules).toHaveLength(3)
    for (const e of expected()) {
      const schedule = resource(id(e.schedule))
      expect(schedule.Properties.ScheduleExpression).toBe(e.expression)
      expect(schedule.Properties.ScheduleExpressionTimezone).toBe('Europe/London')
      expect(schedule.Properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' })
      expect(schedule.Properties.State).toBe('ENABLED')
      // never between 01:00 and 02:59 London time, where the clocks change
      const hour = Number(e.expression.split(' ')[1])
      expect(hour < 1 || hour > 2).toBe(true)
    }
  })

  it('invoke their function with the scheduled time, with a retry policy and a dead-letter queue', () => {
    for (const e of expected()) {
      const target = resource(id(e.schedule)).Properties.Target
      expect(refId(target.Arn)).toBe(id(e.fn.fn))
      expect(JSON.parse(target.Input)).toEqual(e.input)
      expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThanOrEqual(1)
      expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(3600)
      expect(refId(target.DeadLetterConfig.Arn)).toBe(id(e.dlq))
      // the schedule's role may invoke that function and send to that DLQ, nothing else
      const statements = statementsOf(refId(target.RoleArn) as string)
      const actions = statements.flatMap((st) => asArray(st.Action)).sort()
      expect(actions).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage'])
      const fnArn = `<${id(e.fn.fn)}.Arn>`
      for (const st of statements) {
        const resources = asArray(st.Resource).map(flat)
        if (st.Action === 'sqs:SendMessage') expect(resources).toEqual([`<${id(e.dlq)}.Arn>`])
        else expect(resources.sort()).toEqual([fnArn, `${fnArn}:*`])
      }
    }
  })

  it("each schedule's input is an event its function's handler accepts", async () => {
    // the handlers read their configuration when loaded: give them the environment the template sets
    const env = (fn: HotspotFunction) => functionResource(fn).Properties.Environment.Variables
    for (const fn of [functions().analytics, functions().reports]) {
      for (const [name, value] of Object.entries(env(fn))) {
        vi.stubEnv(name, typeof value === 'string' ? value : 'hotspot-data-123456789012-eu-west-2')
      }
    }
    vi.stubEnv('POWERTOOLS_DEV', 'true')
    const { analyticsEvent } = await import('../../functions/analytics/handler.ts')
    const { reportsEvent } = await import('../../functions/reports/handler.ts')
    const schema = (fn: HotspotFunction) => (fn === functions().analytics ? analyticsEvent : reportsEvent)
    try {
      for (const e of expected()) {
        // what EventBridge Scheduler substitutes for <aws.scheduler.scheduled-time>
        const input = resource(id(e.schedule)).Properties.Target.Input.replace(
          '<aws.scheduler.scheduled-time>',
          '2026-11-23T07:00:00Z',
        )
        expect(schema(e.fn).safeParse(JSON.parse(input)).success, input).toBe(true)
      }
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('the scheduled functions send a failed run to their own dead-letter queue', () => {
    const cases = [
      [functions().analytics, s.stack.analytics.deadLetterQueue],
      [functions().reports, s.stack.reporting.deadLetterQueue],
    ] as const
    for (const [fn, dlq] of cases) {
      expect(refId(functionResource(fn).Properties.DeadLetterConfig.TargetArn)).toBe(id(dlq))
    }
  })
})

describe('Lambda functions', () => {
  it('are exactly the ingest, analytics and reports functions', () => {
    expect(
      resourcesOf(template, 'AWS::Lambda::Function')
        .map((f) => f.id)
        .sort(),
    ).toEqual(
      Object.values(functions())
        .map((fn) => id(fn.fn))
        .sort(),
    )
  })

  it('run Node.js 24 on arm64 with X-Ray tracing, JSON logs to a log group kept 90 days, explicit memory and timeout', () => {
    for (const [name, fn] of Object.entries(functions())) {
      const props = functionResource(fn).Properties
      expect(props.Runtime, name).toBe('nodejs24.x')
      expect(props.Architectures, name).toEqual(['arm64'])
      expect(props.TracingConfig, name).toEqual({ Mode: 'Active' })
      expect(props.Handler, name).toBe('index.handler')
      expect(props.MemorySize, name).toBeGreaterThanOrEqual(1024)
      expect(props.Timeout, name).toBeGreaterThanOrEqual(60)
      expect(props.LoggingConfig.LogFormat, name).toBe('JSON')
      const logGroup = resource(refId(props.LoggingConfig.LogGroup) as string)
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup')
      expect(logGroup.Properties.RetentionInDays, name).toBe(90)
      expect(refId(props.Role), name).toBe(roleIdOf(fn))
    }
  })

  it('log with Powertools under their own service name', () => {
    const names = { ingest: 'hotspot-ingest', analytics: 'hotspot-analytics', reports: 'hotspot-reports' }
    for (const [name, fn] of Object.entries(functions())) {
      const env = functionResource(fn).Properties.Environment.Variables
      expect(env.POWERTOOLS_SERVICE_NAME).toBe(names[name as keyof typeof names])
      expect(env.POWERTOOLS_LOG_LEVEL).toBe('INFO')
    }
  })

  it('have exactly the environment variables their code reads, and each config accepts them', () => {
    const lake = { Ref: id(s.stack.storage.data) }
    const lock = {
      LAKE_LOCK_MODE: 'GOVERNANCE',
      LAKE_LOCK_DAYS: '2557',
      LAKE_LOCKED_PREFIXES: 'archive/,manifests/',
    }
    const common = {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_NAMESPACE: `hotspot/${s.stack.stackName}`,
      ...lock,
    }
    const env = (fn: HotspotFunction) => functionResource(fn).Properties.Environment.Variables
    expect(env(functions().ingest)).toEqual({
      ...common,
      POWERTOOLS_SERVICE_NAME: 'hotspot-ingest',
      LAKE_BUCKET: lake,
      FIRST_DROP_DATE,
      PSEUDONYM_KEY_PARAMETER: KEY_PARAMETER,
      PING_ACCURACY_LIMIT_M: ACCURACY_LIMIT_M,
      PARQUET_WASM: '/var/task/parquet.wasm',
    })
    expect(env(functions().analytics)).toEqual({
      ...common,
      POWERTOOLS_SERVICE_NAME: 'hotspot-analytics',
      LAKE_BUCKET: lake,
      ATHENA_WORKGROUP: s.stack.catalog.pipelineWorkgroupName,
      ATHENA_DATABASE: s.stack.catalog.databaseName,
      QUERIES_DIR: LAMBDA_QUERIES_DIR,
      PARQUET_WASM: '/var/task/parquet.wasm',
    })
    expect(env(functions().reports)).toEqual({
      ...common,
      POWERTOOLS_SERVICE_NAME: 'hotspot-reports',
      LAKE_BUCKET: lake,
      SES_CONFIGURATION_SET: { Ref: id(s.stack.reporting.configurationSet) },
      FORCE_NAME: EXAMPLE_CONTEXT.forceArea,
      RESVG_WASM: '/var/task/resvg.wasm',
    })
    // the functions' own configuration parsers, given the values CloudFormation will substitute
    const deployed = (fn: HotspotFunction) =>
      Object.fromEntries(
        Object.entries(env(fn)).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : 'hotspot-data-123456789012-eu-west-2',
        ]),
      )
    expect(ingestConfig(deployed(functions().ingest))).toMatchObject({
      lakeBucket: 'hotspot-data-123456789012-eu-west-2',
      firstDropDate: FIRST_DROP_DATE,
      pseudonymKeyParameter: KEY_PARAMETER,
      accuracyLimitM: 40,
    })
    expect(analyticsConfig(deployed(functions().analytics)).workgroup).toBe('hotspot-pipeline')
    expect(reportsConfig(deployed(functions().reports)).force).toBe(EXAMPLE_CONTEXT.forceArea)
  })

  it('the analytics environment names the pipeline workgroup and the Glue database the catalog creates', () => {
    const env = functionResource(functions().analytics).Properties.Environment.Variables
    const workgroup = resource(lid(s.stack.catalog.pipelineWorkgroup))
    expect(workgroup.Properties.Name).toBe(env.ATHENA_WORKGROUP)
    const config = workgroup.Properties.WorkGroupConfiguration
    expect(config.EnforceWorkGroupConfiguration).toBe(true)
    expect(config.BytesScannedCutoffPerQuery).toBeGreaterThanOrEqual(10_000_000)
    expect(config.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS')
    expect(refId(config.ResultConfiguration.EncryptionConfiguration.KmsKey)).toBe(id(s.stack.storage.key))
    expect(flat(config.ResultConfiguration.OutputLocation)).toBe(
      `s3://<${id(s.stack.storage.results)}>/${s.stack.catalog.resultsPrefixes.pipeline}`,
    )
    const database = resource(lid(s.stack.catalog.database))
    expect(database.Properties.DatabaseInput.Name).toBe(env.ATHENA_DATABASE)
  })
})

describe('least privilege', () => {
  it('no function has a wildcard action, and "*" as a resource only for X-Ray', () => {
    for (const [name, fn] of Object.entries(functions())) {
      for (const st of statementsOf(roleIdOf(fn))) {
        for (const action of asArray(st.Action) as string[]) expect(action, name).not.toContain('*')
        if (asArray(st.Resource).includes('*')) {
          expect(asArray(st.Action).sort(), name).toEqual([
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
          ])
        }
      }
    }
  })

  it('no function may write the whole data bucket, or touch it with anything but Get/GetObjectVersion/Put/PutObjectRetention/List', () => {
    const dataId = id(s.stack.storage.data)
    for (const [name, fn] of Object.entries(functions())) {
      for (const st of statementsOf(roleIdOf(fn))) {
        const resources = asArray(st.Resource).map(flat)
        if (!resources.some((r) => r.startsWith(`<${dataId}.Arn>`))) continue
        expect(resources, name).not.toContain(`<${dataId}.Arn>/*`)
        for (const action of asArray(st.Action)) {
          expect(
            [
              's3:GetObject',
              's3:GetObjectVersion',
              's3:PutObject',
              's3:PutObjectRetention',
              's3:ListBucket',
              's3:GetBucketLocation',
            ],
            `${name}: ${action}`,
          ).toContain(action)
        }
      }
    }
  })

  it('ingest reads landing/ and its own manifests; writes curated/, quarantine/ and its manifests', () => {
    const role = roleIdOf(functions().ingest)
    expect(dataKeysWith(role, 's3:GetObject')).toEqual([
      'landing/*',
      'manifests/claims/ingest/*',
      'manifests/ingest/*',
    ])
    // a drop is read at the version its S3 event names (GetObject with a VersionId needs s3:GetObjectVersion)
    expect(dataKeysWith(role, 's3:GetObjectVersion')).toEqual(['landing/*'])
    expect(dataKeysWith(role, 's3:PutObject')).toEqual([
      'curated/*',
      'manifests/claims/ingest/*',
      'manifests/ingest/*',
      'quarantine/*',
    ])
    expect(dataKeysWith(role, 's3:PutObjectRetention')).toEqual([
      'manifests/claims/ingest/*',
      'manifests/ingest/*',
    ])
  })

  it('ingest may read exactly the pseudonymisation key parameter (ssm:GetParameter); no other function reads SSM', () => {
    const ssmStatements = (fn: HotspotFunction) =>
      statementsOf(roleIdOf(fn))
        .filter((st) => asArray(st.Action).some((a: string) => a.startsWith('ssm:')))
        .map((st) => [st.Effect, st.Action, asArray(st.Resource).map(flat), st.Condition])
    expect(ssmStatements(functions().ingest)).toEqual([
      [
        'Allow',
        'ssm:GetParameter',
        [`arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${KEY_PARAMETER}`],
        undefined,
      ],
    ])
    expect(ssmStatements(functions().analytics)).toEqual([])
    expect(ssmStatements(functions().reports)).toEqual([])
  })

  it('analytics reads the tables and views its SQL reads and the reference manifests; writes results/ and run manifests', () => {
    const role = roleIdOf(functions().analytics)
    expect(dataKeysWith(role, 's3:GetObject')).toEqual(
      [
        ...FEED_NAMES.map((feed) => `curated/${feed}/*`),
        'manifests/reference/harm_weights/*',
        'manifests/reference/register/*',
        'reference/area_cells/*',
        'reference/harm_weights/*',
        'reference/hotspots/*',
        'reference/population/*',
        // the presence marts' results and the run manifests, which their views read (shr_presence_history)
        'results/presence_daily/*',
        'results/presence_visits/*',
        'manifests/runs/*',
      ].sort(),
    )
    expect(dataKeysWith(role, 's3:PutObject')).toEqual(['manifests/runs/*', 'results/*'])
    expect(dataKeysWith(role, 's3:PutObjectRetention')).toEqual(['manifests/runs/*'])
    // Athena: the pipeline workgroup only, and its own results prefix
    const statements = statementsOf(role)
    const start = statements.find((st) => asArray(st.Action).includes('athena:StartQueryExecution'))
    expect(asArray(start.Resource).map(flat)).toEqual([
      `arn:<AWS::Partition>:athena:<AWS::Region>:<AWS::AccountId>:workgroup/${s.stack.catalog.pipelineWorkgroupName}`,
    ])
    const results = `<${id(s.stack.storage.results)}.Arn>/`
    const resultKeys = statements
      .filter((st) => asArray(st.Action).includes('s3:PutObject'))
      .flatMap((st) => asArray(st.Resource).map(flat))
      .filter((r) => r.startsWith(results))
    expect(resultKeys).toEqual([`${results}${s.stack.catalog.resultsPrefixes.pipeline}*`])
  })

  it('reports reads the run, results, recipients and register; writes only ledger/ and archive/', () => {
    const role = roleIdOf(functions().reports)
    expect(dataKeysWith(role, 's3:GetObject')).toEqual([
      'archive/*',
      'ledger/*',
      'manifests/reference/recipients/*',
      'manifests/reference/register/*',
      'manifests/runs/*',
      'reference/recipients/*',
      'reference/register/*',
      'results/*',
    ])
    expect(dataKeysWith(role, 's3:PutObject')).toEqual(['archive/*', 'ledger/*'])
    expect(dataKeysWith(role, 's3:PutObjectRetention')).toEqual(['archive/*'])
  })

  it('reports sends email only from the configured sender, through the configuration set', () => {
    const send = statementsOf(roleIdOf(functions().reports)).filter((st) =>
      asArray(st.Action).some((a: string) => a.startsWith('ses:')),
    )
    expect(send).toHaveLength(1)
    expect(asArray(send[0].Action).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail'])
    expect(send[0].Condition).toEqual({ StringEquals: { 'ses:FromAddress': EXAMPLE_CONTEXT.sender } })
    const ses = 'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:'
    expect(asArray(send[0].Resource).map(flat).sort()).toEqual(
      [
        `${ses}configuration-set/<${id(s.stack.reporting.configurationSet)}>`,
        `${ses}identity/example.org`,
        `${ses}identity/${EXAMPLE_CONTEXT.sender}`,
      ].sort(),
    )
  })

  it('ListBucket: analytics only for the prefixes it lists; ingest and reports on the bucket (a missing key is a 404, not a 403)', () => {
    const dataId = id(s.stack.storage.data)
    const lists = (fn: HotspotFunction) =>
      statementsOf(roleIdOf(fn)).filter(
        (st) => asArray(st.Action).includes('s3:ListBucket') && flat(st.Resource) === `<${dataId}.Arn>`,
      )
    for (const st of lists(functions().analytics)) {
      const prefixes: string[] = st.Condition.StringLike['s3:prefix']
      expect(
        prefixes.every((p) =>
          /^(curated|reference|manifests\/reference|results\/presence_(daily|visits)|manifests\/runs)\//.test(
            p,
          ),
        ),
        prefixes.join(),
      ).toBe(true)
    }
    expect(lists(functions().analytics).length).toBeGreaterThan(0)
    for (const fn of [functions().ingest, functions().reports]) {
      expect(lists(fn).some((st) => st.Condition === undefined)).toBe(true)
    }
  })

  it('a write under archive/ or manifests/ is always granted with PutObjectRetention (the bucket demands a lock)', () => {
    for (const [name, fn] of Object.entries(functions())) {
      const role = roleIdOf(fn)
      const locked = dataKeysWith(role, 's3:PutObject').filter((k) => /^(archive|manifests)\//.test(k))
      expect(dataKeysWith(role, 's3:PutObjectRetention'), name).toEqual(locked)
    }
  })
})

describe('the auditors role', () => {
  const roleId = () => id(s.stack.auditors.role)
  const WRITE_ALLOWED_UNDER = () =>
    `<${id(s.stack.storage.results)}.Arn>/${s.stack.catalog.resultsPrefixes.auditors}*`
  /** Actions that only read, query or decrypt. */
  const READ_ONLY = /^(s3:(Get|List)|glue:(Get|BatchGet)|athena:(Get|List|BatchGet))/
  const QUERY = ['athena:StartQueryExecution', 'athena:StopQueryExecution']

  it('is assumed from the account (no auditorPrincipalArn given)', () => {
    const trust = resource(roleId()).Properties.AssumeRolePolicyDocument.Statement
    expect(trust).toHaveLength(1)
    expect(flat(trust[0].Principal.AWS)).toBe('arn:<AWS::Partition>:iam::<AWS::AccountId>:root')
  })

  it('has no write action outside its own query-results location', () => {
    const statements = statementsOf(roleId()).filter((st) => st.Effect === 'Allow')
    expect(statements.length).toBeGreaterThan(0)
    const keyArn = `<${id(s.stack.storage.key)}.Arn>`
    for (const st of statements) {
      const resources = asArray(st.Resource).map(flat)
      for (const action of asArray(st.Action) as string[]) {
        if (READ_ONLY.test(action) || QUERY.includes(action)) continue
        if (action === 'kms:Decrypt' || action === 'kms:GenerateDataKey') {
          // encrypting its query results (SSE-KMS) and decrypting what it reads
          expect(resources, action).toEqual([keyArn])
          continue
        }
        expect(action, 'a write is an S3 object action').toMatch(/^s3:/)
        expect(resources, `${action} outside the auditors' results prefix`).toEqual([WRITE_ALLOWED_UNDER()])
      }
    }
  })

  it('reads curated/, results/, manifests/, archive/ (and reference/, quarantine/), never landing/ or ledger/', () => {
    const keys = dataKeysWith(roleId(), 's3:GetObject')
    expect(keys).toEqual(
      ['archive/*', 'curated/*', 'manifests/*', 'quarantine/*', 'reference/*', 'results/*'].sort(),
    )
  })

  it('is denied every write to the data bucket outright', () => {
    const dataId = id(s.stack.storage.data)
    const deny = statementsOf(roleId()).find((st) => st.Effect === 'Deny')
    expect(asArray(deny.Resource).map(flat).sort()).toEqual([`<${dataId}.Arn>`, `<${dataId}.Arn>/*`])
    for (const action of [
      's3:PutObject',
      's3:DeleteObject',
      's3:DeleteObjectVersion',
      's3:BypassGovernanceRetention',
    ]) {
      expect(asArray(deny.Action)).toContain(action)
    }
  })

  it('queries through the auditors workgroup only', () => {
    const start = statementsOf(roleId()).filter((st) =>
      asArray(st.Action).includes('athena:StartQueryExecution'),
    )
    expect(start.flatMap((st) => asArray(st.Resource).map(flat))).toEqual([
      `arn:<AWS::Partition>:athena:<AWS::Region>:<AWS::AccountId>:workgroup/${s.stack.catalog.auditorsWorkgroupName}`,
    ])
  })
})

describe('monitoring', () => {
  const alarms = () => resourcesOf(template, 'AWS::CloudWatch::Alarm')
  const topicId = () => id(s.stack.monitoring.topic)

  it('every dead-letter queue has an alarm on its first message', () => {
    // the DLQs: every queue but the ingest queue, each named by some redrive, DeadLetterConfig or destination
    const queues = resourcesOf(template, 'AWS::SQS::Queue').map((q) => q.id)
    const dlqs = queues.filter((q) => q !== id(s.stack.ingest.queue))
    expect(dlqs).toHaveLength(7)
    const named = (dlq: string) =>
      [
        ...resourcesOf(template, 'AWS::SQS::Queue').map(
          (q) => q.Properties.RedrivePolicy?.deadLetterTargetArn,
        ),
        ...resourcesOf(template, 'AWS::Lambda::Function').map(
          (f) => f.Properties.DeadLetterConfig?.TargetArn,
        ),
        ...resourcesOf(template, 'AWS::Scheduler::Schedule').map(
          (x) => x.Properties.Target.DeadLetterConfig?.Arn,
        ),
        ...resourcesOf(template, 'AWS::SNS::Subscription').map(
          (x) => x.Properties.RedrivePolicy?.deadLetterTargetArn,
        ),
      ].filter((arn) => refId(arn) === dlq).length
    for (const dlq of dlqs) {
      expect(named(dlq), `${dlq} is the dead-letter queue of exactly one thing`).toBe(1)
      const alarm = alarms().find((a) =>
        asArray(a.Properties.Dimensions).some((d: Json) => d.Name === 'QueueName' && refId(d.Value) === dlq),
      )
      expect(alarm?.Properties, dlq).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
      })
      expect(alarm?.Properties.AlarmActions.map(refId)).toEqual([topicId()])
    }
  })

  it('every function has an alarm on one error', () => {
    for (const [name, fn] of Object.entries(functions())) {
      const alarm = alarms().find((a) =>
        asArray(a.Properties.Dimensions).some(
          (d: Json) => d.Name === 'FunctionName' && refId(d.Value) === id(fn.fn),
        ),
      )
      expect(alarm?.Properties, name).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      })
      expect(alarm?.Properties.AlarmActions.map(refId)).toEqual([topicId()])
    }
  })

  it("each feed's share of rows quarantined has an alarm, on the ingest function's metrics", () => {
    const ingest = s.stack.ingest.function
    const feedsAlarmed = alarms()
      .filter((a) => a.Properties.Metrics)
      .map((a) => {
        const stats = (a.Properties.Metrics as Json[]).filter((m) => m.MetricStat)
        for (const { MetricStat } of stats) {
          expect(MetricStat.Metric.Namespace).toBe(s.stack.monitoring.metricsNamespace)
          expect(MetricStat.Metric.Dimensions).toContainEqual({ Name: 'service', Value: ingest.serviceName })
        }
        expect(a.Properties.AlarmActions.map(refId)).toEqual([topicId()])
        return stats[0]?.MetricStat.Metric.Dimensions.find((d: Json) => d.Name === 'feed')?.Value
      })
    expect(feedsAlarmed.sort()).toEqual([...FEED_NAMES].sort())
    expect(ingest.environment.POWERTOOLS_METRICS_NAMESPACE).toBe(s.stack.monitoring.metricsNamespace)
  })

  it('SES bounce rate >= 2.5% and complaint rate >= 0.05% raise an alarm', () => {
    const ses = (metric: string) =>
      alarms().find((a) => a.Properties.Namespace === 'AWS/SES' && a.Properties.MetricName === metric)
        ?.Properties
    expect(SES_BOUNCE_RATE_ALARM).toBe(0.025)
    expect(SES_COMPLAINT_RATE_ALARM).toBe(0.0005)
    expect(ses('Reputation.BounceRate')).toMatchObject({
      Threshold: 0.025,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    })
    expect(ses('Reputation.ComplaintRate')).toMatchObject({
      Threshold: 0.0005,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    })
  })

  it('the alerts topic is KMS-encrypted, TLS only, and mails the alert address (with a DLQ)', () => {
    const topic = resource(topicId())
    expect(refId(topic.Properties.KmsMasterKeyId)).toBe(id(s.stack.monitoring.topicKey))
    const [subscription, ...more] = resourcesOf(template, 'AWS::SNS::Subscription')
    expect(more).toEqual([])
    expect(subscription?.Properties).toMatchObject({
      Protocol: 'email',
      Endpoint: EXAMPLE_CONTEXT.alertEmail,
    })
    expect(refId(subscription?.Properties.TopicArn)).toBe(topicId())
    expect(subscription?.Properties.RedrivePolicy.deadLetterTargetArn).toBeDefined()
    const policy = resourcesOf(template, 'AWS::SNS::TopicPolicy').find((p) =>
      asArray(p.Properties.Topics).some((t: Json) => refId(t) === topicId()),
    )
    expect(
      asArray(policy?.Properties.PolicyDocument.Statement).find(
        (st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ),
    ).toBeDefined()
  })

  it("the SES configuration set (Reporting's) keeps the logical ids it had under Monitoring: a new id would replace it", () => {
    expect(id(s.stack.reporting.configurationSet)).toBe('MonitoringConfigurationSetE781C029')
    expect(resourcesOf(template, 'AWS::SES::ConfigurationSetEventDestination').map((d) => d.id)).toEqual([
      'MonitoringConfigurationSetBouncesAndComplaints750396D2',
    ])
  })

  it('the SES configuration set publishes bounces and complaints to the alerts topic', () => {
    const setId = id(s.stack.reporting.configurationSet)
    expect(resource(setId).Properties).toMatchObject({
      ReputationOptions: { ReputationMetricsEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    })
    const [destination, ...more] = resourcesOf(template, 'AWS::SES::ConfigurationSetEventDestination')
    expect(more).toEqual([])
    expect(refId(destination?.Properties.ConfigurationSetName)).toBe(setId)
    const d = destination?.Properties.EventDestination
    expect(d.Enabled).toBe(true)
    expect(d.MatchingEventTypes.sort()).toEqual(['bounce', 'complaint'])
    expect(refId(d.SnsDestination.TopicARN)).toBe(topicId())
    // one statement lets SES publish, for this account's configuration set only
    const policy = resourcesOf(template, 'AWS::SNS::TopicPolicy').find((p) =>
      asArray(p.Properties.Topics).some((t: Json) => refId(t) === topicId()),
    )
    const sesPublishes = asArray(policy?.Properties.PolicyDocument.Statement).filter(
      (st) => st.Effect === 'Allow' && st.Principal?.Service === 'ses.amazonaws.com',
    )
    expect(sesPublishes).toHaveLength(1)
    expect(sesPublishes[0]?.Action).toBe('sns:Publish')
    const sourceArn = JSON.stringify(sesPublishes[0]?.Condition?.StringEquals?.['AWS:SourceArn'])
    expect(sourceArn).toContain(':configuration-set/')
    expect(sourceArn).toContain(setId)
    expect(sesPublishes[0]?.Condition?.StringEquals?.['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' })
  })
})
