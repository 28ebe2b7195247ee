import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { documentCsv } from '../../functions/core/reports/document/csv.ts'
import { renderEmail } from '../../functions/core/reports/document/email.ts'
import { formatNumber } from '../../functions/core/reports/document/format.ts'
import { compileMjml, documentMjml, escapeHtml } from '../../functions/core/reports/document/mjml.ts'
import type { ReportDocument } from '../../functions/core/reports/document/model.ts'
import { documentText } from '../../functions/core/reports/document/text.ts'

// One document through the three renderers. A hostile string, numbered by where it sits, is put in every block
// type: the HTML must hold each one escaped and none as markup, the text each one as written, the CSV each one
// with the spreadsheet formula guard.

const HOSTILE = `<script>alert("x")</script> & 'y'`
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;'
const at = (place: string) => `${HOSTILE} ${place}`

/** Where a hostile string sits in the document, and whether the text part prints it (not the head). */
const PLACES = {
  subject: false,
  preview: false,
  kicker: true,
  title: true,
  mastheadLine: true,
  sectionTitle: true,
  subtitle: true,
  paragraph: true,
  listLead: true,
  listText: true,
  listFlag: true,
  listFlagDetail: true,
  keyLabel: true,
  keyValue: true,
  keyFlag: true,
  keyDetail: true,
  keyNote: true,
  caption: true,
  // the text prints a table row by row, its label first: the labels' heading is left out
  rowHeader: false,
  columnHeader: true,
  rowLabel: true,
  textCell: true,
  numberCell: true,
  intervalValue: true,
  suppressedCell: true,
  flagCell: true,
  imageAlt: true,
  note: true,
} as const

function hostileDocument(): ReportDocument {
  return {
    subject: at('subject'),
    preview: at('preview'),
    masthead: { kicker: at('kicker'), title: at('title'), lines: [at('mastheadLine')] },
    sections: [
      {
        title: at('sectionTitle'),
        subtitle: at('subtitle'),
        blocks: [
          { type: 'paragraph', text: at('paragraph') },
          {
            type: 'list',
            items: [
              {
                lead: at('listLead'),
                line: [at('listText'), { words: at('listFlag'), detail: at('listFlagDetail'), tone: 'bad' }],
              },
            ],
          },
          {
            type: 'keyFigures',
            rows: [
              {
                label: at('keyLabel'),
                value: at('keyValue'),
                flag: { words: at('keyFlag'), tone: 'good' },
                detail: at('keyDetail'),
                note: at('keyNote'),
              },
            ],
          },
          {
            type: 'table',
            table: {
              caption: at('caption'),
              columns: [
                { header: at('rowHeader'), align: 'left' },
                { header: at('columnHeader'), align: 'left' },
                { header: 'Count', align: 'right' },
                { header: 'Share (95% CI)', align: 'right' },
                { header: 'Small', align: 'right' },
                { header: 'Change', align: 'left' },
                { header: 'Nothing', align: 'right' },
              ],
              rows: [
                {
                  label: at('rowLabel'),
                  cells: [
                    { type: 'text', text: at('textCell') },
                    { type: 'number', text: at('numberCell'), kind: 'count' },
                    {
                      type: 'interval',
                      value: at('intervalValue'),
                      low: '46.6%',
                      high: '77.8%',
                      kind: 'percent',
                    },
                    { type: 'suppressed', text: at('suppressedCell'), kind: 'count' },
                    { type: 'flag', flag: { words: at('flagCell'), tone: 'neutral' } },
                    { type: 'empty' },
                  ],
                },
              ],
            },
          },
          { type: 'images', images: [{ cid: 'chart@hotspot', alt: at('imageAlt') }] },
        ],
      },
    ],
    notes: [at('note')],
    data: {
      columns: ['name', 'value', 'formula'],
      rows: [
        { name: HOSTILE, value: -7.1, formula: '=HYPERLINK("http://evil.example","click")' },
        { name: '+1+2', value: 1088, formula: '@SUM(A1)' },
      ],
    },
    dataFilename: 'hostile.csv',
  }
}

/** The ordinary document: the same figures must come out of every renderer. */
function plainDocument(): ReportDocument {
  return {
    subject: 'Hotspot scorecard: Week 46',
    preview: 'Seven crimes',
    masthead: { kicker: 'Northshire Police', title: 'Weekly hotspot scorecard', lines: ['Week 46'] },
    sections: [
      {
        title: 'HS-01 Market Square',
        blocks: [
          {
            type: 'table',
            table: {
              columns: [
                { header: 'Period', align: 'left' },
                { header: 'Crimes', align: 'right' },
                { header: 'Satisfied (95% CI)', align: 'right' },
                { header: 'vs last year', align: 'left' },
              ],
              rows: [
                {
                  label: 'Week',
                  cells: [
                    { type: 'number', text: formatNumber(1088), kind: 'count' },
                    { type: 'interval', value: '63.6%', low: '46.6%', high: '77.8%' },
                    { type: 'flag', flag: { words: 'significant rise', detail: '(12, +233%)', tone: 'bad' } },
                  ],
                },
                {
                  label: '28 days',
                  cells: [
                    { type: 'suppressed', text: '<10', kind: 'count' },
                    { type: 'empty' },
                    { type: 'empty' },
                  ],
                },
              ],
            },
          },
        ],
      },
    ],
    notes: ['Harm is the Cambridge Crime Harm Index.'],
    data: { columns: ['measure', 'value'], rows: [{ measure: 'crimes', value: 1088 }] },
    dataFilename: 'scorecard.csv',
  }
}

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

describe('document renderers: escaping happens in MJML only', () => {
  const doc = hostileDocument()

  it('the HTML holds every hostile string escaped, in every block type, and none as markup', async () => {
    const html = await compileMjml(documentMjml(doc))
    for (const place of Object.keys(PLACES)) expect(html, place).toContain(`${ESCAPED} ${place}`)
    expect(html).not.toContain('<script>')
    expect(html).not.toContain(HOSTILE)
    // the only tags with an alt are the chart, whose alt is escaped inside its quotes
    expect(html).toMatch(/<img\b[^>]*alt="&lt;script&gt;alert\(&quot;x&quot;\)/)
  })

  it('the text part prints every hostile string as written', () => {
    const text = documentText(doc)
    for (const [place, printed] of Object.entries(PLACES))
      if (printed) expect(text, place).toContain(at(place))
    expect(text).not.toContain('&lt;')
    expect(text).not.toContain('&amp;')
  })

  it('the CSV puts a quote before a formula and keeps numbers as numbers, escaping nothing for HTML', () => {
    const records = parse(documentCsv(doc.data), { columns: true }) as Record<string, string>[]
    expect(records).toEqual([
      { name: HOSTILE, value: '-7.1', formula: `'=HYPERLINK("http://evil.example","click")` },
      { name: "'+1+2", value: '1088', formula: "'@SUM(A1)" },
    ])
  })

  it('renderEmail carries the subject, the three parts and the attachment name', async () => {
    const email = await renderEmail(doc, [])
    expect(email.subject).toBe(at('subject'))
    expect(email.attachments).toEqual([
      { filename: 'hostile.csv', contentType: 'text/csv; charset=utf-8', content: documentCsv(doc.data) },
    ])
    expect(email.text).toBe(documentText(doc))
  })
})

describe('document renderers: one document, the same figures three ways', () => {
  const doc = plainDocument()

  it('the MJML shows typed cells: numbers and intervals right-aligned, with their kind; a flag as a pill', async () => {
    const html = await compileMjml(documentMjml(doc))
    expect(html).toMatch(/<td data-kind="count" style="[^"]*text-align:right;[^"]*">1,088<\/td>/)
    expect(html).toMatch(/<td data-kind="count" style="[^"]*">&lt;10<\/td>/)
    expect(html).toContain('63.6% (46.6% to 77.8%)</td>')
    expect(html).toMatch(
      /<span style="background:[^"]*">significant rise<\/span> <span[^>]*>\(12, \+233%\)<\/span>/,
    )
  })

  it('the text shows each table row on a line, headers beside figures, empty cells left out', () => {
    const text = documentText(doc)
    expect(text).toContain(
      '- Week: Crimes 1,088; Satisfied (95% CI) 63.6% (46.6% to 77.8%); vs last year significant rise (12, +233%)\n',
    )
    expect(text).toContain('- 28 days: Crimes <10\n')
    expect(
      text.startsWith('Weekly hotspot scorecard\nNorthshire Police\nWeek 46\n\nHS-01 Market Square\n'),
    ).toBe(true)
    expect(text).toContain('Harm is the Cambridge Crime Harm Index.')
  })

  it('the CSV is the document data, CRLF line ends', () => {
    expect(documentCsv(doc.data)).toBe('measure,value\r\ncrimes,1088\r\n')
  })

  it('the MJML is valid at validation level strict', async () => {
    await expect(compileMjml(documentMjml(doc))).resolves.toContain('Market Square')
  })
})
