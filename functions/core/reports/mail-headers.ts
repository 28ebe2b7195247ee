/**
 * Mail headers are written from data (subjects hold period labels, display names come from the recipients file,
 * content ids and file names from hotspot ids): every such value goes through `assertHeaderSafe`. HTML escaping
 * is the MJML renderer's (document/mjml.ts).
 */

export class HeaderInjectionError extends Error {
  override name = 'HeaderInjectionError'
}

/** C0 and C1 controls (CR and LF among them), DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u

/**
 * Refuses a value headed for a mail header (subject, display name, address, Content-ID, file name) that holds a
 * line break or another control character: a CR or LF would end the header and let the rest of the value write
 * headers or a body of its own. Returns the value.
 */
export function assertHeaderSafe(value: string, what: string): string {
  if (typeof value !== 'string') throw new HeaderInjectionError(`${what} is not text`)
  const at = value.search(CONTROL)
  if (at >= 0) {
    const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
    throw new HeaderInjectionError(
      `${what} contains a line break or another control character at character ${at + 1}: ${shown}`,
    )
  }
  return value
}
