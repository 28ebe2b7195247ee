import mjml2html from 'mjml'

export { default as mjml2html } from 'mjml'

/**
 * Compiles an email's MJML to HTML, refusing any validation error. No web fonts: clients that honour them
 * would fetch them from the network.
 */
export async function compileMjml(source: string): Promise<string> {
  const { html, errors } = await mjml2html(source, {
    validationLevel: 'strict',
    keepComments: false,
    fonts: {},
  })
  if (errors.length > 0)
    throw new Error(`MJML: ${errors.map((e) => e.formattedMessage ?? e.message).join('; ')}`)
  return html
}
