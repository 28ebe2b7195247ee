import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

describe('reports Lambda event', () => {
  let reportsEvent: typeof import('../../functions/reports/handler.ts').reportsEvent

  beforeAll(async () => {
    vi.stubEnv('LAKE_BUCKET', 'hotspot-lake-test')
    vi.stubEnv('SES_CONFIGURATION_SET', 'hotspot')
    vi.stubEnv('FORCE_NAME', 'Test Police')
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'hotspot-test')
    vi.stubEnv('POWERTOOLS_DEV', 'true')
    ;({ reportsEvent } = await import('../../functions/reports/handler.ts'))
  })
  afterAll(() => vi.unstubAllEnvs())

  it('takes an explicit resend of a named period, with who asked and why', () => {
    const resend = { reason: 'late drop of 15 November', requested_by: 'analyst.k' }
    expect(reportsEvent.parse({ report: 'weekly', period: '2026-W46', resend })).toEqual({
      report: 'weekly',
      period: '2026-W46',
      resend,
    })
  })

  it('refuses a resend from the schedule, or without a reason or a name', () => {
    const scheduled = { report: 'weekly', scheduled_time: '2026-11-16T07:00:00Z' }
    expect(() => reportsEvent.parse({ ...scheduled, resend: { reason: 'x', requested_by: 'y' } })).toThrow()
    for (const resend of [{ reason: ' ', requested_by: 'analyst.k' }, { reason: 'correction' }, true]) {
      expect(() => reportsEvent.parse({ report: 'weekly', period: '2026-W46', resend })).toThrow()
    }
  })
})
