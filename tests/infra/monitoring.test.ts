/**
 * The monitoring construct on its own, in a bare stack: the alarms it sets on what the other constructs give it
 * (a function's metrics, an SES configuration set), and where those publish.
 */
import { Duration } from 'aws-cdk-lib'
import * as ses from 'aws-cdk-lib/aws-ses'
import { describe, expect, it } from 'vitest'
import { HotspotFunction } from '../../lib/lambda.ts'
import { Monitoring, QUARANTINED_SHARE_ALARM } from '../../lib/monitoring.ts'
import { bareStack, flat, type Json, refId, resourcesOf, templateOf } from './synth.ts'

const FEED_NAMES = ['incidents', 'tips']

const stack = bareStack()
const monitoring = new Monitoring(stack, 'Monitoring', { alertEmail: 'alerts@example.org' })
const fn = new HotspotFunction(stack, 'Ingest', {
  entry: 'functions/ingest/handler.ts',
  description: 'ingest',
  serviceName: 'hotspot-ingest',
  memorySize: 1024,
  timeout: Duration.minutes(1),
  logLevel: 'INFO',
  logRetentionDays: 90,
})
monitoring.watchFunction(fn)
monitoring.watchQuarantine(fn, FEED_NAMES)
const configurationSet = new ses.ConfigurationSet(stack, 'ConfigurationSet')
monitoring.alertOnEmailEvents(configurationSet)
const { template, id } = templateOf(stack)

describe('alarms on the functions', () => {
  it('a watched function writes its metrics where the alarms read them', () => {
    expect(fn.environment.POWERTOOLS_METRICS_NAMESPACE).toBe('hotspot/Test')
    expect(monitoring.metricsNamespace).toBe('hotspot/Test')
  })

  it("each feed's share of rows quarantined in an hour raises an alarm above 5%, from the ingest function's metrics", () => {
    expect(QUARANTINED_SHARE_ALARM).toBe(0.05)
    const shares = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter((a) => a.Properties.Metrics)
    expect(shares).toHaveLength(FEED_NAMES.length)
    for (const feed of FEED_NAMES) {
      const alarm = shares.find((a) =>
        a.Properties.Metrics.some((m: Json) =>
          m.MetricStat?.Metric.Dimensions.some((d: Json) => d.Name === 'feed' && d.Value === feed),
        ),
      )
      expect(alarm?.Properties, feed).toMatchObject({
        Threshold: 0.05,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      })
      expect(alarm?.Properties.AlarmActions.map(refId)).toEqual([id(monitoring.topic)])
      const metrics = alarm?.Properties.Metrics as Json[]
      const expression = metrics.find((m) => m.Expression)
      expect(expression).toMatchObject({
        Expression: 'quarantined / (accepted + quarantined + duplicate)',
        ReturnData: true,
      })
      // the namespace, metric names and dimensions the ingest handler's EMF records carry
      expect(
        Object.fromEntries(
          metrics
            .filter((m) => m.MetricStat)
            .map((m) => [
              m.Id,
              {
                ...m.MetricStat.Metric,
                Dimensions: Object.fromEntries(
                  m.MetricStat.Metric.Dimensions.map((d: Json) => [d.Name, d.Value]),
                ),
                Stat: m.MetricStat.Stat,
                Period: m.MetricStat.Period,
              },
            ]),
        ),
      ).toEqual(
        Object.fromEntries(
          ['accepted', 'quarantined', 'duplicate'].map((name) => [
            name,
            {
              Namespace: `hotspot/${stack.stackName}`,
              MetricName: `Rows${name[0]?.toUpperCase()}${name.slice(1)}`,
              Dimensions: { service: 'hotspot-ingest', feed },
              Stat: 'Sum',
              Period: 3600,
            },
          ]),
        ),
      )
    }
  })
})

describe('email events', () => {
  it("SES may publish the configuration set's bounces and complaints to the alerts topic, and encrypt them for it", () => {
    const [destination, ...more] = resourcesOf(template, 'AWS::SES::ConfigurationSetEventDestination')
    expect(more).toEqual([])
    expect(refId(destination?.Properties.ConfigurationSetName)).toBe(id(configurationSet))
    expect(destination?.Properties.EventDestination.MatchingEventTypes.sort()).toEqual([
      'bounce',
      'complaint',
    ])
    expect(refId(destination?.Properties.EventDestination.SnsDestination.TopicARN)).toBe(id(monitoring.topic))
    const keyPolicy = template.Resources[id(monitoring.topicKey)].Properties.KeyPolicy.Statement as Json[]
    const sesEncrypts = keyPolicy.filter((st) => st.Principal?.Service === 'ses.amazonaws.com')
    expect(sesEncrypts).toHaveLength(1)
    expect(flat(sesEncrypts[0]?.Condition.ArnLike['aws:SourceArn'])).toBe(
      `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/<${id(configurationSet)}>`,
    )
  })
})
