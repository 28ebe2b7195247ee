import type { z } from 'zod'

/**
 * Bad reference input. The message is one line: the file, where in it (a line and column, a feature, a JSON
 * path) and why, e.g. `register.geojson: features[2] (hotspot_id hs-03), properties.phases[1].to: ...`.
 */
export class ReferenceDataError extends Error {
  override name = 'ReferenceDataError'
  constructor(
    readonly file: string,
    readonly location: readonly string[],
    readonly reason: string,
  ) {
    super(oneLine([file, location.join(', '), reason].filter((part) => part !== '').join(': ')))
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ')
}

/** A zod issue path written as a field name: `properties.phases[1].from`. */
export function fieldName(path: readonly PropertyKey[]): string {
  let name = ''
  for (const segment of path) {
    if (typeof segment === 'number') name += `[${segment}]`
    else name += name === '' ? String(segment) : `.${String(segment)}`
  }
  return name
}

/** The reason for a zod issue; parse with `reportInput: true` so that a missing value can be told apart. */
export function issueReason(issue: z.core.$ZodIssue, issueCount: number): string {
  const reason =
    issue.code === 'invalid_type' && issue.input === undefined ? 'required value is missing' : issue.message
  return issueCount > 1
    ? `${reason} (and ${issueCount - 1} more problem${issueCount > 2 ? 's' : ''})`
    : reason
}

/** UTF-8 text of a reference file, without its byte-order mark; anything else is refused. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new ReferenceDataError(file, [], 'is not valid UTF-8 text')
  }
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    const message = (error as Error).message
    const position = /at position (\d+)/.exec(message)
    const location = position ? [lineAndColumn(text, Number(position[1]))] : []
    throw new ReferenceDataError(
      file,
      location,
      `invalid JSON: ${message.replace(/ in JSON at position.*$/, '')}`,
    )
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  return `line ${line}, column ${column}`
}
