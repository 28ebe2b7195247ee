/** mjml 5 ships CommonJS without types; the part the reports use. `mjml2html` returns a Promise in mjml 5. */
declare module 'mjml' {
  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip'
    keepComments?: boolean
    fonts?: Record<string, string>
  }
  interface MjmlResult {
    html: string
    errors: { formattedMessage?: string; message: string }[]
  }
  export default function mjml2html(mjml: string, options?: MjmlOptions): Promise<MjmlResult>
}
