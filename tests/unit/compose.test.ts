import { describe, expect, it } from 'vitest'
import {
  CompositionError,
  cidReferences,
  composeMessage,
  recipientSegment,
  reportMessageId,
} from '../../functions/core/reports/compose.ts'
import { HeaderInjectionError } from '../../functions/core/reports/mail-headers.ts'
import { assertPng, COMMANDER, CSV, envelope, headerValue, renderedEmail } from './helpers/mail-fixtures.ts'
import { parseMessage } from './helpers/smtp-sink.ts'

describe('composeMessage', () => {
  it('builds text and html alternatives, inline PNGs by cid and the CSV attachment', async () => {
    const email = renderedEmail()
    const message = await composeMessage(email, envelope())
    // what the message is, as data beside the bytes: a mailer reads nothing back out of them
    expect({ ...message, raw: undefined }).toEqual({
      report: 'weekly',
      period: '2026-W46',
      recipientKey: 'CMD-001',
      resend: 0,
      messageId: '<hotspot.weekly.2026-W46.CMD-001@force.police.example>',
      subject: email.subject,
      from: 'reports@force.police.example',
      to: ['jane.oneil@force.police.example'],
      raw: undefined,
    })

    const parsed = await parseMessage(message.raw)
    expect(parsed.html).toBe(email.html)
    expect(parsed.text).toBe(email.text)

    const cids = cidReferences(parsed.html as string)
    expect(cids.sort()).toEqual(['harm-H01@hotspot', 'heatmap@hotspot'])
    for (const cid of cids) {
      const image = parsed.attachments.find((a) => a.cid === cid)
      expect(image, cid).toBeDefined()
      expect(image?.contentType).toBe('image/png')
      expect(image?.contentDisposition).toBe('inline')
      expect(image?.related).toBe(true)
      const given = email.inlineImages.find((i) => i.cid === cid)?.content
      expect(image?.content.equals(given as Buffer)).toBe(true)
      expect(assertPng(image?.content as Buffer).width).toBeGreaterThan(0)
    }

    const csv = parsed.attachments.filter((a) => a.contentDisposition === 'attachment')
    expect(csv).toHaveLength(1)
    expect(csv[0]?.filename).toBe('scorecard-2026-W46.csv')
    expect(csv[0]?.contentType).toBe('text/csv')
    expect(csv[0]?.content.toString('utf8')).toBe(CSV)
  })

  it('writes the headers: subject, addresses, date, a Message-ID from report, period and recipient', async () => {
    const message = await composeMessage(renderedEmail(), envelope())
    const parsed = await parseMessage(message.raw)
    expect(parsed.subject).toBe('Week 46: 9 to 15 November 2026 — your hotspots')
    expect(parsed.from?.value).toEqual([{ name: 'Hotspot Reports', address: 'reports@force.police.example' }])
    expect(parsed.to?.value).toEqual([
      { name: "Insp. Jane O'Neil", address: 'jane.oneil@force.police.example' },
    ])
    expect(parsed.replyTo?.value).toEqual([{ name: '', address: 'analysts@force.police.example' }])
    expect(parsed.date?.toISOString()).toBe('2026-11-16T07:00:00.000Z')
    expect(parsed.messageId).toBe('<hotspot.weekly.2026-W46.CMD-001@force.police.example>')
    expect(headerValue(message.raw, 'X-Hotspot-Report')).toBe('weekly 2026-W46')
    expect(headerValue(message.raw, 'X-Hotspot-Recipient')).toBe('CMD-001')
    expect(headerValue(message.raw, 'Auto-Submitted')).toBe('auto-generated')
    expect(headerValue(message.raw, 'MIME-Version')).toBe('1.0')
    expect(headerValue(message.raw, 'Content-Type')).toMatch(/^multipart\/mixed; boundary=/)
    // a funder's monthly report
    const funder = await composeMessage(
      renderedEmail({ inlineImages: [], html: '<p>October</p>' }),
      envelope({
        report: 'monthly',
        period: '2026-10',
        to: { key: 'funder-1', name: 'Trust', email: 'grants@trust.example', kind: 'funder', hotspotIds: [] },
      }),
    )
    expect(funder).toMatchObject({ report: 'monthly', period: '2026-10', recipientKey: 'funder-1' })
    expect(funder.messageId).toBe('<hotspot.monthly.2026-10.funder-1@force.police.example>')
    expect(headerValue(funder.raw, 'Message-ID')).toBe(funder.messageId)
    expect(headerValue(funder.raw, 'X-Hotspot-Report')).toBe('monthly 2026-10')
    // a resend says so, in its data and its bytes
    const resent = await composeMessage(renderedEmail(), envelope({ resend: 2 }))
    expect(resent).toMatchObject({
      resend: 2,
      messageId: '<hotspot.weekly.2026-W46.CMD-001.resend-2@force.police.example>',
    })
    expect(headerValue(resent.raw, 'X-Hotspot-Resend')).toBe('2')
    expect(headerValue(message.raw, 'X-Hotspot-Resend')).toBeUndefined()
  })

  it('is byte-identical for the same inputs, CRLF throughout, ending in CRLF, no line over 998', async () => {
    const first = await composeMessage(renderedEmail(), envelope())
    const second = await composeMessage(renderedEmail(), envelope())
    expect(second.raw.equals(first.raw)).toBe(true)
    const text = first.raw.toString('latin1')
    expect(text.endsWith('\r\n')).toBe(true)
    expect(/[^\r]\n|\r[^\n]/.test(text)).toBe(false)
    expect(Math.max(...text.split('\r\n').map((line) => line.length))).toBeLessThanOrEqual(998)
    expect(first.raw.every((byte) => byte < 0x80)).toBe(true)
    // the date and the recipient are in the bytes: a different one composes a different message
    const later = await composeMessage(renderedEmail(), envelope({ date: new Date('2026-11-16T07:00:01Z') }))
    expect(later.raw.equals(first.raw)).toBe(false)
    const other = await composeMessage(
      renderedEmail(),
      envelope({ to: { ...COMMANDER, key: 'CMD-002', email: 'b@force.police.example' } }),
    )
    expect(other.messageId).toBe('<hotspot.weekly.2026-W46.CMD-002@force.police.example>')
    expect(headerValue(other.raw, 'Message-ID')).toBe(other.messageId)
  })

  it('takes a given Message-ID', async () => {
    const message = await composeMessage(renderedEmail(), envelope({ messageId: '<abc.123@example.org>' }))
    expect(message.messageId).toBe('<abc.123@example.org>')
    expect(headerValue(message.raw, 'Message-ID')).toBe('<abc.123@example.org>')
  })

  it.each([
    ['subject', { subject: 'Week 46\r\nBcc: victim@example.com' }, {}],
    ['subject (LF)', { subject: 'Week 46\nBcc: victim@example.com' }, {}],
    ['subject (U+2028)', { subject: 'Week 46\u2028Bcc: victim@example.com' }, {}],
    [
      'sender name',
      {},
      { from: { name: 'Reports\r\nBcc: victim@example.com', email: 'r@force.police.example' } },
    ],
    ['sender address', {}, { from: { email: 'r@force.police.example\r\nBcc: victim@example.com' } }],
    ['recipient name', {}, { to: { ...COMMANDER, name: 'Jane\nBcc: victim@example.com' } }],
    [
      'recipient address',
      {},
      { to: { ...COMMANDER, email: 'jane@force.police.example\r\nBcc: v@example.com' } },
    ],
    ['reply-to address', {}, { replyTo: 'a@force.police.example\nBcc: victim@example.com' }],
  ])('rejects a line break in the %s', async (_field, emailOverride, envelopeOverride) => {
    await expect(
      composeMessage(renderedEmail(emailOverride), envelope(envelopeOverride as never)),
    ).rejects.toBeInstanceOf(HeaderInjectionError)
  })

  it.each([
    'jane',
    'jane@localhost',
    'jane@force',
    'jane doe@force.police.example',
    '"jane"@force.police.example',
    'jane@[127.0.0.1]',
    'Jane <jane@force.police.example>',
    'jane@force.police.example, eve@example.com',
    'jane@-force.example',
    'jane..doe@force.police.example',
    'jané@force.police.example',
    'jane@1.2.3.4',
  ])('rejects the address %j', async (address) => {
    await expect(
      composeMessage(renderedEmail(), envelope({ to: { ...COMMANDER, email: address } })),
    ).rejects.toBeInstanceOf(CompositionError)
  })

  it('rejects a cid without its image, an image nobody references and an image that is not a PNG', async () => {
    const email = renderedEmail()
    await expect(
      composeMessage({ ...email, inlineImages: email.inlineImages.slice(1) }, envelope()),
    ).rejects.toThrow(/missing images: cid:harm-H01@hotspot/)
    await expect(composeMessage({ ...email, html: '<p>no images</p>' }, envelope())).rejects.toThrow(
      /not referenced/,
    )
    const notPng = email.inlineImages.map((image) => ({ ...image, content: Buffer.from('<svg/>') }))
    await expect(composeMessage({ ...email, inlineImages: notPng }, envelope())).rejects.toThrow(/not a PNG/)
  })

  it('rejects a period that is not the report kind, and an empty subject', async () => {
    await expect(composeMessage(renderedEmail(), envelope({ period: '2026-11' }))).rejects.toThrow(
      /weekly period/,
    )
    await expect(composeMessage(renderedEmail({ subject: ' ' }), envelope())).rejects.toThrow(
      /subject is empty/,
    )
  })

  it('turns any recipient key into a safe path segment and Message-ID part', async () => {
    expect(recipientSegment('CMD-001')).toBe('CMD-001')
    expect(recipientSegment('funder-3f2a')).toBe('funder-3f2a')
    expect(recipientSegment('Insp Smith / North')).toBe('Insp%20Smith%20%2F%20North')
    expect(recipientSegment('../etc')).toBe('%2E%2E%2Fetc')
    expect(recipientSegment('A%20B')).not.toBe(recipientSegment('A B'))
    expect(recipientSegment('é'.repeat(100))).toMatch(/^[%0-9A-F]{80}~[0-9a-f]{32}$/)
    expect(reportMessageId('weekly', '2026-W46', 'Insp Smith', 'r@Force.Example')).toBe(
      '<hotspot.weekly.2026-W46.Insp%20Smith@force.example>',
    )
    const message = await composeMessage(
      renderedEmail(),
      envelope({ to: { ...COMMANDER, key: 'Insp Smith' } }),
    )
    expect((await parseMessage(message.raw)).messageId).toBe(
      '<hotspot.weekly.2026-W46.Insp%20Smith@force.police.example>',
    )
  })
})
