import { createHmac, randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { Pseudonymiser, PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'

describe('pseudonyms (keyed HMAC-SHA256)', () => {
  const material = randomBytes(32)
  const key = new PseudonymKey(material)

  it('are the prefix and the first 20 hex digits of HMAC-SHA256(key, value)', () => {
    const hmac = createHmac('sha256', material).update('RADIO-1').digest('hex')
    expect(key.pseudonym('dev-', 'RADIO-1')).toBe(`dev-${hmac.slice(0, 20)}`)
    const pseudonymiser = new Pseudonymiser(key, { device_id: 'dev-' })
    const row: Record<string, unknown> = { device_id: 'RADIO-1', team: 'A' }
    pseudonymiser.apply(row)
    expect(row).toEqual({ device_id: `dev-${hmac.slice(0, 20)}`, team: 'A' })
    // remembered, and the same the second time
    expect(pseudonymiser.pseudonym('device_id', 'RADIO-1')).toBe(row.device_id)
  })

  it("name their key by an id that is not any value's pseudonym digits, and never print the key", () => {
    expect(key.id).toBe(
      createHmac('sha256', material).update('\u0000hotspot pseudonym key id').digest('hex').slice(0, 16),
    )
    expect(key.id).toMatch(/^[0-9a-f]{16}$/)
    const shown = `${inspect(key, { showHidden: true, depth: 5 })} ${JSON.stringify(key)} ${String(key)}`
    expect(shown).not.toContain(material.toString('hex').slice(0, 16))
    expect(shown).not.toContain(material.toString('base64').slice(0, 16))
  })

  it('refuse a key shorter than 32 bytes', () => {
    expect(() => new PseudonymKey(randomBytes(31))).toThrow(
      'a pseudonymisation key holds at least 32 bytes, not 31',
    )
  })
})
