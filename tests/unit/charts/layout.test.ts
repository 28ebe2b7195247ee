import { describe, expect, it } from 'vitest'
import { wrap } from '../../../functions/core/reports/charts/layout.ts'

describe('chart layout: text wrapped to the width', () => {
  it('wraps titles at the same words as the hand-written TrueType reader did', () => {
    // the lines the charts drew before opentype.js (their SVGs are byte for byte the same for every chart test)
    const name = 'The Very Long Named Neighbourhood Shopping Parade and Transport Interchange'
    expect(wrap(`${name}: weekly harm`, 20, true)).toEqual([
      'The Very Long Named Neighbourhood Shopping',
      'Parade and Transport Interchange: weekly harm',
    ])
    expect(
      wrap(
        'Black outline: the hotspot. Map 150\u00a0m around it; north is up; each square is 25\u00a0m.',
        14,
      ),
    ).toEqual([
      'Black outline: the hotspot. Map 150\u00a0m around it; north is up; each square is',
      '25\u00a0m.',
    ])
  })
})
