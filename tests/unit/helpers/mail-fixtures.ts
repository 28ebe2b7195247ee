import { crc32, inflateSync } from 'node:zlib'
import { Resvg } from '@resvg/resvg-js'
import { SendError } from '../../../functions/core/ports.ts'
import type { ComposeEnvelope } from '../../../functions/core/reports/compose.ts'
import type { Recipient, RenderedEmail } from '../../../functions/core/reports/model.ts'

/** A real PNG (rendered by resvg), `width` pixels wide. */
export function pngOf(width: number, colour = '#c0392b'): Buffer {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.round(width / 2)}"><rect width="100%" height="100%" fill="${colour}"/></svg>`
  return Buffer.from(new Resvg(svg).render().asPng())
}

/** Throws unless `bytes` is a well-formed PNG: signature, chunks with good CRCs, IHDR first, IDAT inflates, IEND. */
export function assertPng(bytes: Buffer): { width: number; height: number } {
  if (!bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    throw new Error('no PNG signature')
  }
  let offset = 8
  const chunks: string[] = []
  const idat: Buffer[] = []
  let size = { width: 0, height: 0 }
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset)
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1')
    const data = bytes.subarray(offset + 8, offset + 8 + length)
    const crc = bytes.readUInt32BE(offset + 8 + length)
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== crc) throw new Error(`bad CRC in ${type}`)
    if (type === 'IHDR') size = { width: data.readUInt32BE(0), height: data.readUInt32BE(4) }
    if (type === 'IDAT') idat.push(data)
    chunks.push(type)
    offset += 12 + length
  }
  if (chunks[0] !== 'IHDR' || chunks.at(-1) !== 'IEND' || idat.length === 0) {
    throw new Error(`bad chunk order ${chunks.join(',')}`)
  }
  inflateSync(Buffer.concat(idat))
  return size
}

export const COMMANDER: Recipient = {
  key: 'CMD-001',
  name: "Insp. Jane O'Neil",
  email: 'jane.oneil@force.police.example',
  kind: 'commander',
  hotspotIds: ['H01', 'H02'],
}

export const CSV = 'hotspot_id,hotspot,harm_week\r\nH01,"\'=HYPERLINK(""x"")",12\r\nH02,Market Street,3\r\n'

export function renderedEmail(overrides: Partial<RenderedEmail> = {}): RenderedEmail {
  return {
    subject: 'Week 46: 9 to 15 November 2026 — your hotspots',
    html: [
      '<!doctype html><html><body>',
      '<h1>Week 46</h1>',
      '<p>Harm down at H01 &amp; H02 &lt;no significant change&gt;.</p>',
      '<img src="cid:harm-H01@hotspot" alt="Weekly harm against the baseline band">',
      '<img src="cid:heatmap@hotspot" alt="Heat map">',
      // a line longer than SMTP allows (998): it must be encoded, not sent as is
      `<p>${'x'.repeat(1200)}</p>`,
      '<p>.a line starting with a dot</p>',
      '</body></html>',
    ].join('\n'),
    text: 'Week 46\nHarm down at H01 & H02.\n.a line starting with a dot\n',
    inlineImages: [
      { cid: 'harm-H01@hotspot', filename: 'harm-H01.png', content: pngOf(64), alt: 'Weekly harm' },
      { cid: 'heatmap@hotspot', filename: 'heatmap.png', content: pngOf(32, '#2c3e50'), alt: 'Heat map' },
    ],
    attachments: [
      { filename: 'scorecard-2026-W46.csv', contentType: 'text/csv; charset=utf-8', content: CSV },
    ],
    ...overrides,
  }
}

export function envelope(overrides: Partial<ComposeEnvelope> = {}): ComposeEnvelope {
  return {
    from: { name: 'Hotspot Reports', email: 'reports@force.police.example' },
    replyTo: 'analysts@force.police.example',
    to: COMMANDER,
    report: 'weekly',
    period: '2026-W46',
    date: new Date('2026-11-16T07:00:00Z'),
    ...overrides,
  }
}

/** How a send ended: 'sent', or the SendError kind the mailer classified its failure as. */
export async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'sent'
  } catch (error) {
    return error instanceof SendError ? error.kind : `unclassified: ${(error as Error).message}`
  }
}

/**
 * The value of a header in a raw message's header block (unfolded; undefined when absent), for checking what
 * composition wrote. Only for plain ASCII headers: encoded words are not decoded.
 */
export function headerValue(raw: Buffer, name: string): string | undefined {
  const end = raw.indexOf('\r\n\r\n')
  const block = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1')
  const unfolded = block.replace(/\r\n[ \t]+/g, ' ')
  const wanted = name.toLowerCase()
  for (const line of unfolded.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) return line.slice(colon + 1).trim()
  }
  return undefined
}
