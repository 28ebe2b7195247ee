/**
 * A report document as the plain-text alternative of the email: the same sections, sentences and figures as the
 * HTML, laid out for a reader without HTML. Nothing is escaped: the text part is not HTML, so names and
 * categories are printed as written.
 */
import type { Block, Cell, Flag, Inline, KeyFigure, ReportDocument } from './model.ts'

const flagText = (flag: Flag) => (flag.detail ? `${flag.words} ${flag.detail}` : flag.words)

export const lineText = (line: Inline[]) =>
  line.map((part) => (typeof part === 'string' ? part : flagText(part))).join('')

/** A cell as one line of text: the figure, an interval as "value (low to high)", a flag with its detail. */
export function cellText(cell: Cell): string {
  switch (cell.type) {
    case 'text':
    case 'number':
    case 'suppressed':
      return cell.text
    case 'interval':
      return `${cell.value} (${cell.low} to ${cell.high})`
    case 'flag':
      return flagText(cell.flag)
    case 'empty':
      return ''
  }
}

/** "Arrests: 1 — no significant change vs last year (0 last year); detail (note)" */
function keyFigureText(k: KeyFigure): string {
  const flag = k.flag ? ` \u2014 ${flagText(k.flag)}` : ''
  const detail = k.detail ? `; ${k.detail}` : ''
  const note = k.note ? ` (${k.note})` : ''
  return `${k.label}: ${k.value}${flag}${detail}${note}`
}

function blockLines(block: Block): string[] {
  switch (block.type) {
    case 'paragraph':
      return [block.text]
    case 'list':
      return block.items.map(
        (item) => `- ${item.lead === undefined ? '' : `${item.lead}: `}${lineText(item.line)}`,
      )
    case 'keyFigures':
      return block.rows.map(keyFigureText)
    case 'table': {
      // a row per line: "- label: header figure; header figure", empty cells left out
      const { caption, columns, rows } = block.table
      const lines = rows.map((row) => {
        const parts = row.cells.flatMap((cell, i) => {
          const text = cellText(cell)
          return text ? [`${columns[i + 1]?.header ?? ''} ${text}`] : []
        })
        return `- ${row.label}: ${parts.join('; ')}`
      })
      return caption ? [`${caption}:`, ...lines] : lines
    }
    case 'images':
      return block.images.map((image) => `[Chart: ${image.alt}]`)
  }
}

/** The plain-text part of the email. */
export function documentText(doc: ReportDocument): string {
  const { masthead } = doc
  const out: string[] = [masthead.title, masthead.kicker, ...masthead.lines, '']
  for (const section of doc.sections) {
    // underlined rather than upper-cased: a title may hold a name, printed as written
    const rule = '='.repeat(Math.min(section.title.length, 72))
    out.push(section.title, rule, ...(section.subtitle ? [section.subtitle] : []), '')
    for (const block of section.blocks) out.push(...blockLines(block), '')
  }
  out.push('Notes', '=====', '', ...doc.notes.flatMap((note) => [note, '']))
  return out.join('\n')
}
