/**
 * A report document as MJML, compiled to the email's HTML. This is the one place where text becomes HTML, so the
 * one place anything is escaped: MJML escapes nothing (the text of mj-text and mj-table goes into the email as
 * written), and every string of the document, whatever block it sits in, goes through `escapeHtml` here.
 *
 * Laid out for a phone: one 600 px column, a masthead band, a card per section, small print at the end. Colours
 * come from the palette. No web fonts: clients that honour them would fetch them from the network.
 */
import mjml2html from 'mjml'
import type { RenderedEmail } from '../model.ts'
import { EMAIL, TONE } from '../palette.ts'
import type { Block, Cell, Flag, Inline, KeyFigure, ListItem, ReportDocument, Table } from './model.ts'

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/**
 * A value as HTML text, safe both as element content and inside a quoted attribute: & < > " and ' become
 * entities. null and undefined render as the empty string; anything else through String().
 */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return ''
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c] as string)
}

const e = escapeHtml

const FONT = 'Arial, Helvetica, sans-serif'
const CELL = `padding:7px 5px;border-bottom:1px solid ${EMAIL.rule};vertical-align:top;word-break:normal;`
const HEAD = `padding:6px 5px;border-bottom:2px solid ${EMAIL.headingRule};vertical-align:bottom;word-break:normal;font-size:12px;font-weight:bold;color:${EMAIL.muted};`

function flagHtml(flag: Flag): string {
  const { background, text } = TONE[flag.tone]
  const pill = `<span style="background:${background};color:${text};border-radius:10px;padding:1px 7px;white-space:nowrap;font-size:13px;">${e(flag.words)}</span>`
  return flag.detail ? `${pill} <span style="white-space:nowrap;">${e(flag.detail)}</span>` : pill
}

const inlineHtml = (line: Inline[]) =>
  line.map((part) => (typeof part === 'string' ? e(part) : flagHtml(part))).join('')

function cellHtml(cell: Cell, align: 'left' | 'right'): string {
  const style = `${CELL}text-align:${align};${align === 'right' ? 'white-space:nowrap;' : ''}`
  const kind = 'kind' in cell && cell.kind ? ` data-kind="${e(cell.kind)}"` : ''
  const td = (html: string) => `<td${kind} style="${style}">${html}</td>`
  switch (cell.type) {
    case 'text':
    case 'number':
    case 'suppressed':
      return td(e(cell.text))
    case 'interval':
      return td(e(`${cell.value} (${cell.low} to ${cell.high})`))
    case 'flag':
      return td(flagHtml(cell.flag))
    case 'empty':
      return td('')
  }
}

function tableMjml(table: Table): string {
  const head = table.columns
    .map((c) => `<th style="${HEAD}text-align:${c.align};">${e(c.header)}</th>`)
    .join('')
  const body = table.rows
    .map((row) => {
      const cells = row.cells.map((cell, i) => cellHtml(cell, table.columns[i + 1]?.align ?? 'right'))
      return `<tr><td style="${CELL}text-align:left;">${e(row.label)}</td>${cells.join('')}</tr>`
    })
    .join('\n')
  const caption = table.caption
    ? `<mj-text padding="10px 16px 2px" font-size="15px" font-weight="bold">${e(table.caption)}</mj-text>\n`
    : ''
  return `${caption}<mj-table padding="4px 12px 10px" font-size="14px" line-height="1.35" color="${EMAIL.ink}">
<tr>${head}</tr>
${body}
</mj-table>`
}

function keyFigureRow(k: KeyFigure): string {
  const lines = [[`<strong>${e(k.value)}</strong>`, ...(k.flag ? [flagHtml(k.flag)] : [])].join(' ')]
  if (k.detail) lines.push(`<span style="color:${EMAIL.ink};">${e(k.detail)}</span>`)
  if (k.note) lines.push(`<span style="color:${EMAIL.muted};font-size:12px;">${e(k.note)}</span>`)
  return `<tr><td style="${CELL}width:34%;color:${EMAIL.muted};">${e(k.label)}</td><td style="${CELL}overflow-wrap:anywhere;">${lines.join('<br>')}</td></tr>`
}

const listItem = (item: ListItem) =>
  `<li style="margin:0 0 8px;">${item.lead === undefined ? '' : `<strong>${e(item.lead)}</strong><br>`}${inlineHtml(item.line)}</li>`

function blockMjml(block: Block): string {
  switch (block.type) {
    case 'paragraph':
      return `<mj-text padding="4px 16px">${e(block.text)}</mj-text>`
    case 'list':
      return `<mj-text padding="4px 16px"><ul style="margin:0;padding-left:20px;">${block.items.map(listItem).join('')}</ul></mj-text>`
    case 'keyFigures':
      return `<mj-table padding="4px 12px 12px" font-size="14px" line-height="1.4" color="${EMAIL.ink}">${block.rows.map(keyFigureRow).join('')}</mj-table>`
    case 'table':
      return tableMjml(block.table)
    case 'images':
      return block.images
        .map(
          (image) =>
            `<mj-image src="cid:${e(image.cid)}" alt="${e(image.alt)}" title="${e(image.alt)}" padding="6px 12px" fluid-on-mobile="true" />`,
        )
        .join('\n')
  }
}

/** The document as MJML source (`renderEmail` compiles it; tests validate it). */
export function documentMjml(doc: ReportDocument): string {
  const { masthead } = doc
  const sections = doc.sections.map(
    (
      s,
    ) => `<mj-section background-color="${EMAIL.card}" padding="12px 0 8px" border-top="4px solid ${EMAIL.accent}">
<mj-column>
<mj-text padding="4px 16px 2px" font-size="19px" font-weight="bold" color="${EMAIL.band}">${e(s.title)}</mj-text>
${s.subtitle ? `<mj-text padding="0 16px 6px" font-size="13px" color="${EMAIL.muted}">${e(s.subtitle)}</mj-text>\n` : ''}${s.blocks.map(blockMjml).join('\n')}
</mj-column>
</mj-section>`,
  )
  return `<mjml lang="en-GB">
<mj-head>
<mj-title>${e(doc.subject)}</mj-title>
<mj-preview>${e(doc.preview)}</mj-preview>
<mj-breakpoint width="480px" />
<mj-attributes>
<mj-all font-family="${FONT}" />
<mj-text font-size="15px" line-height="1.45" color="${EMAIL.ink}" />
</mj-attributes>
</mj-head>
<mj-body width="600px" background-color="${EMAIL.page}">
<mj-section background-color="${EMAIL.band}" padding="18px 0 14px">
<mj-column>
<mj-text padding="0 16px" font-size="12px" color="${EMAIL.onBandMuted}" letter-spacing="0.5px" text-transform="uppercase">${e(masthead.kicker)}</mj-text>
<mj-text padding="4px 16px 0" font-size="22px" font-weight="bold" color="${EMAIL.onBand}" line-height="1.25">${e(masthead.title)}</mj-text>
${masthead.lines.map((line) => `<mj-text padding="2px 16px 0" font-size="14px" color="${EMAIL.onBand}">${e(line)}</mj-text>`).join('\n')}
</mj-column>
</mj-section>
${sections.join('\n<mj-section padding="4px 0"><mj-column><mj-spacer height="4px" /></mj-column></mj-section>\n')}
<mj-section padding="12px 0 24px">
<mj-column>
${doc.notes.map((n) => `<mj-text padding="4px 16px" font-size="12px" line-height="1.5" color="${EMAIL.muted}">${e(n)}</mj-text>`).join('\n')}
</mj-column>
</mj-section>
</mj-body>
</mjml>
`
}

/** Compiles MJML to HTML, refusing any validation error. */
export async function compileMjml(source: string): Promise<string> {
  const { html, errors } = await mjml2html(source, {
    validationLevel: 'strict',
    keepComments: false,
    fonts: {},
  })
  if (errors.length > 0)
    throw new Error(`MJML: ${errors.map((error) => error.formattedMessage ?? error.message).join('; ')}`)
  return html
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
}

/**
 * The email's HTML with each `cid:` image replaced by a data: URI, to open in a browser without a mail client
 * (the .html preview written next to each .eml). The `src` is found as `documentMjml` writes it.
 */
export function htmlPreview(email: RenderedEmail): string {
  let html = email.html
  for (const image of email.inlineImages) {
    const ext = image.filename.split('.').pop()?.toLowerCase() ?? 'png'
    const uri = `data:${IMAGE_TYPES[ext] ?? 'image/png'};base64,${image.content.toString('base64')}`
    html = html.split(`src="cid:${e(image.cid)}"`).join(`src="${uri}"`)
  }
  return html
}
