import { describe, expect, it } from 'vitest'
import { chartCid, chartFilename } from '../../../functions/core/reports/charts/parts.ts'

describe('charts: names in the email', () => {
  it('names images with ASCII cids, distinct for distinct hotspot ids', () => {
    expect(chartCid('harm', 'HS-01')).toBe('harm-HS-01@hotspot')
    expect(chartCid('patrol', 'all')).toBe('patrol-all@hotspot')
    expect(chartCid('heatmap')).toBe('heatmap@hotspot')
    expect(chartFilename('harm', 'HS-01')).toBe('harm-HS-01.png')
    const odd = ['HS 01', 'HS_01', 'HS/01', 'Hé<1>']
    const cids = odd.map((id) => chartCid('harm', id))
    expect(new Set(cids).size).toBe(odd.length)
    for (const cid of cids) expect(cid).toMatch(/^[A-Za-z0-9._@-]+$/)
    expect(chartCid('harm', 'Hé<1>')).toBe('harm-H_C3_A9_3C1_3E@hotspot')
  })
})
