/**
 * A report document rendered as one email: the subject, the HTML body (MJML), the plain-text alternative and the
 * CSV attachment, with the charts the document refers to carried as inline images.
 */
import { assertHeaderSafe } from '../mail-headers.ts'
import type { InlineImage, RenderedEmail } from '../model.ts'
import { documentCsv } from './csv.ts'
import { compileMjml, documentMjml } from './mjml.ts'
import type { ReportDocument } from './model.ts'
import { documentText } from './text.ts'

export async function renderEmail(doc: ReportDocument, images: InlineImage[]): Promise<RenderedEmail> {
  assertHeaderSafe(doc.subject, 'subject')
  assertHeaderSafe(doc.dataFilename, 'attachment file name')
  for (const image of images) {
    assertHeaderSafe(image.cid, 'image content id')
    assertHeaderSafe(image.filename, 'image file name')
  }
  return {
    subject: doc.subject,
    html: await compileMjml(documentMjml(doc)),
    text: documentText(doc),
    inlineImages: images,
    attachments: [
      { filename: doc.dataFilename, contentType: 'text/csv; charset=utf-8', content: documentCsv(doc.data) },
    ],
  }
}
