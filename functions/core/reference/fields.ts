import { z } from 'zod'

/**
 * Text that may end up in an email header (a subject, a display name) or an object key: one line, no control
 * characters. CR and LF are what header injection needs; U+2028/U+2029 are line breaks to some clients.
 */
const SINGLE_LINE = /^[^\p{Cc}\u2028\u2029]*$/u
const LINE_BREAK_MESSAGE = 'contains a line break (CR or LF) or another control character'

export const singleLineText = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'is longer than 200 characters')
  .regex(SINGLE_LINE, LINE_BREAK_MESSAGE)

/** An id as used in feeds and file names (`hotspot_id` is at most 100 characters there too). */
export const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'is longer than 100 characters')
  .regex(SINGLE_LINE, LINE_BREAK_MESSAGE)
  .refine((value) => value.trim() === value, 'has leading or trailing spaces')

/** An email address; the line-break check runs first so that an injection attempt is named as one. */
export const emailAddress = z
  .string()
  .regex(SINGLE_LINE, { message: LINE_BREAK_MESSAGE, abort: true })
  .pipe(z.email('is not a valid email address'))
