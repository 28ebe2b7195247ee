import { describe, expect, it } from 'vitest'
import { assertHeaderSafe, HeaderInjectionError } from '../../functions/core/reports/mail-headers.ts'

describe('assertHeaderSafe', () => {
  it('returns a value without line breaks', () => {
    expect(assertHeaderSafe('Hotspot policing: monthly report, October 2026 (Demo)', 'subject')).toBe(
      'Hotspot policing: monthly report, October 2026 (Demo)',
    )
    expect(assertHeaderSafe('funder@example.org', 'address')).toBe('funder@example.org')
  })

  it.each([
    ['Report\r\nBcc: victim@example.org'],
    ['Report\nBcc: victim@example.org'],
    ['Report\rX-Injected: yes'],
    ['trailing newline\n'],
    ['\r\n'],
    ['Report\u2028X-Injected: yes'],
    ['Report\u0085X-Injected: yes'],
  ])('rejects %j', (value) => {
    expect(() => assertHeaderSafe(value, 'subject')).toThrow(HeaderInjectionError)
    expect(() => assertHeaderSafe(value, 'subject')).toThrow(/subject contains a line break/)
  })

  it('rejects a value that is not text', () => {
    expect(() => assertHeaderSafe(42 as unknown as string, 'name')).toThrow(HeaderInjectionError)
  })
})
