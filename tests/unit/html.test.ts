import { describe, expect, it } from 'vitest'
import { assertHeaderSafe, escapeHtml, HeaderInjectionError } from '../../functions/core/reports/html.ts'

describe('escapeHtml', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['Tom & Jerry', 'Tom &amp; Jerry'],
    ['"quoted" \'single\'', '&quot;quoted&quot; &#39;single&#39;'],
    ['&amp;', '&amp;amp;'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['plain text, 12.5%', 'plain text, 12.5%'],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected)
  })

  it('renders numbers, booleans, null and undefined', () => {
    expect(escapeHtml(1088)).toBe('1088')
    expect(escapeHtml(-0.5)).toBe('-0.5')
    expect(escapeHtml(true)).toBe('true')
    expect(escapeHtml(null)).toBe('')
    expect(escapeHtml(undefined)).toBe('')
  })

  it('leaves no character that could open a tag or close an attribute', () => {
    const nasty = `"><svg onload=alert(1)>'</td></mj-table><mj-raw><script>x</script></mj-raw>`
    expect(escapeHtml(nasty)).not.toMatch(/[<>"']/)
  })
})

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
