import { Metrics } from '@aws-lambda-powertools/metrics'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { addMetricGroup } from '../../functions/adapters/metric-groups.ts'

describe('addMetricGroup', () => {
  let records: Array<Record<string, unknown>>

  beforeEach(() => {
    vi.stubEnv('POWERTOOLS_DEV', 'true')
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false')
    records = []
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      if (typeof line === 'string') records.push(JSON.parse(line))
    })
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.unstubAllEnvs()
  })

  it('publishes each group with its own dimension value: EMF gives all metrics of a record the same ones', () => {
    const metrics = new Metrics({ namespace: 'hotspot-test', serviceName: 'hotspot-reports' })
    addMetricGroup(metrics, { name: 'outcome', value: 'sent' }, { Sends: 3 })
    addMetricGroup(metrics, { name: 'outcome', value: 'failed' }, { Sends: 1 })
    // the last group waits for logMetrics (or any publish) at the end of the invocation
    expect(records.map((r) => [r.outcome, r.Sends])).toEqual([['sent', 3]])
    metrics.publishStoredMetrics()
    expect(records.map((r) => [r.outcome, r.Sends])).toEqual([
      ['sent', 3],
      ['failed', 1],
    ])
    for (const record of records) {
      expect(record).toMatchObject({
        service: 'hotspot-reports',
        _aws: {
          CloudWatchMetrics: [
            {
              Namespace: 'hotspot-test',
              Dimensions: [['service', 'outcome']],
              Metrics: [{ Name: 'Sends', Unit: 'Count' }],
            },
          ],
        },
      })
    }
  })

  it('puts several counts of one group in one record', () => {
    const metrics = new Metrics({ namespace: 'hotspot-test', serviceName: 'hotspot-ingest' })
    addMetricGroup(metrics, { name: 'feed', value: 'tips' }, { RowsAccepted: 10, RowsQuarantined: 0 })
    metrics.publishStoredMetrics()
    expect(records).toEqual([expect.objectContaining({ feed: 'tips', RowsAccepted: 10, RowsQuarantined: 0 })])
  })
})
