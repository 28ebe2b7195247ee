import { z } from 'zod'
import { parseDate } from '../time/days.ts'
import { parseTimestamp } from '../time/instants.ts'

/*
 * Every column schema takes text: CSV fields are text, and JSON Lines scalars are turned into text before
 * validation, so one parser per type serves both (and zod never has to try a union).
 */

/** Storage type of a column: drives the Parquet schema and (later) the Glue table. */
export type ColumnKind = 'string' | 'timestamp' | 'date' | 'int' | 'double' | 'boolean'

export interface ColumnMeta {
  kind: ColumnKind
  required: boolean
  description: string
}

/** Column metadata attached to each field schema of a contract; read back by `columnsOf`. */
export const columnRegistry = z.registry<ColumnMeta>()

/**
 * What a column's parser accepts, as data: the columnar ingest (ingest/columnar-sql.ts) builds its SQL checks
 * from it, so that a limit has this one home. `opaque`: a rule only the parser itself knows (a pattern, a list).
 */
export type ColumnRule =
  | { type: 'text'; max: number }
  | { type: 'number'; integer: boolean; min: number; max: number; below?: number }
  | { type: 'timestamp' }
  | { type: 'opaque' }

const columnRules = new WeakMap<z.ZodType, ColumnRule>()

/** The rules of a contract's columns, by name (columnsOf's order). */
export function columnRulesOf(schema: z.ZodObject): Map<string, ColumnRule> {
  return new Map(
    Object.entries(schema.shape).map(([name, field]) => [
      name,
      columnRules.get(field as z.ZodType) ?? { type: 'opaque' },
    ]),
  )
}

export interface Column extends ColumnMeta {
  name: string
}

/** Longest value accepted in any text column (DESIGN section 4: 64 KiB field cap). */
export const MAX_FIELD_CHARS = 65_536

function column<T extends z.ZodType>(
  schema: T,
  kind: ColumnKind,
  required: boolean,
  description: string,
  rule: ColumnRule = { type: 'opaque' },
) {
  const field = required ? schema : schema.optional()
  columnRegistry.add(field, { kind, required, description })
  columnRules.set(field, rule)
  return field as T extends z.ZodType ? typeof field & z.ZodType : never
}

interface Options {
  required?: boolean
  description?: string
}

/**
 * Unicode White_Space (tab, LF, VT, FF, CR, space, NEL, no-break space, ogham space, the en/em/thin/hair
 * spaces, line and paragraph separators, narrow no-break, medium mathematical and ideographic spaces) and the
 * byte-order mark / zero-width no-break space that editors leave at the start of a field. All are single UTF-16
 * code units.
 */
function isEdgeSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d)
  if (code < 0x85) return false
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  )
}

/**
 * A text value without leading or trailing whitespace of any kind (see isEdgeSpace). The lake stores text
 * cleaned this way so that the SQL never trims: Trino's trim removes every kind of whitespace and DuckDB's only
 * spaces (DESIGN section 6). A loop rather than a regular expression: `\s+$` backtracks quadratically over a
 * long run of inner spaces.
 */
export function cleanText(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && isEdgeSpace(value.charCodeAt(start))) start++
  while (end > start && isEdgeSpace(value.charCodeAt(end - 1))) end--
  return start === 0 && end === value.length ? value : value.slice(start, end)
}

/**
 * Control characters (Unicode Cc) that are not whitespace: NUL, the C0 controls other than tab and the line
 * breaks, DEL, and the C1 controls other than NEL. They are never text, and they are invisible: an id followed by
 * a NUL would be a second record that prints as the first.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose
const CONTROL_CHARACTER = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/

/**
 * A text column: stored without leading or trailing whitespace (cleanText), and a value that is only
 * whitespace is absent (stored as null). A value holding a control character (CONTROL_CHARACTER) is refused,
 * named by its position, not its text. The length cap applies to the value as given; the pattern to the cleaned
 * value.
 */
export function text(options: Options & { max?: number; pattern?: RegExp; patternHint?: string } = {}) {
  let cleaned = z.string()
  // an id or a required label made only of whitespace is as absent as an empty field
  if (options.required) cleaned = cleaned.min(1, 'is blank')
  if (options.pattern)
    cleaned = cleaned.regex(options.pattern, options.patternHint ?? `does not match ${options.pattern}`)
  const schema = z
    .string()
    .max(options.max ?? MAX_FIELD_CHARS)
    .transform((value, ctx) => {
      const control = CONTROL_CHARACTER.exec(value)
      if (control) {
        const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
        ctx.addIssue({
          code: 'custom',
          message: `holds the control character U+${code} at character ${control.index + 1}`,
        })
        return z.NEVER
      }
      const clean = cleanText(value)
      return clean === '' && !options.required ? undefined : clean
    })
    .pipe(options.required ? cleaned : cleaned.optional())
  const rule: ColumnRule = options.pattern
    ? { type: 'opaque' }
    : { type: 'text', max: options.max ?? MAX_FIELD_CHARS }
  return column(schema, 'string', options.required ?? false, options.description ?? '', rule)
}

/**
 * A closed list of values a column takes: a group field that reports break figures down by takes no other
 * (DESIGN section 3), so that free text (a name, a phone number) can never become a group in a result.
 */
export interface ClosedList<T extends readonly [string, ...string[]] = readonly [string, ...string[]]> {
  /** Names the list in quarantine reasons and the column's documentation. */
  name: string
  values: T
}

/**
 * One of a fixed set of values, given as a bare list or as a named `ClosedList`. The value is cleaned of edge
 * whitespace as text columns are, and blank is absent. A refusal's rule names the list, never the value.
 */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T | ClosedList<T>,
  options: Options = {},
) {
  const list = isClosedList(values) ? values : undefined
  const allowed: readonly string[] = list ? list.values : (values as T)
  const known = new Set(allowed)
  const expected = list ? `in the list "${list.name}"` : `one of ${allowed.join(', ')}`
  const schema = z.string().transform((value, ctx) => {
    const clean = cleanText(value)
    if (clean === '' && !options.required) return undefined
    if (known.has(clean)) return clean as T[number]
    refuse(ctx, `unknown value ${JSON.stringify(value)}; expected ${expected}`, `is not ${expected}`)
    return z.NEVER
  })
  const documented = list ? `${list.name}: ${allowed.join(', ')}` : `one of ${allowed.join(', ')}`
  return column(schema, 'string', options.required ?? false, options.description ?? documented)
}

function isClosedList(values: readonly string[] | ClosedList): values is ClosedList {
  return !Array.isArray(values)
}

/**
 * Refuses a value: the message shows it, the issue's `rule` says what is wrong without it, for the feeds whose
 * refusals may not repeat a value (a survey drop's free text may be a name or a phone number).
 */
function refuse(ctx: z.core.$RefinementCtx, message: string, rule: string): void {
  ctx.addIssue({ code: 'custom', message, params: { rule } })
}

/** Refuses a value with a message that shows it (`shown`) followed by the rule. */
function refuseShown(ctx: z.core.$RefinementCtx, shown: string, rule: string): void {
  refuse(ctx, `${shown} ${rule}`, rule)
}

/** ISO-8601 with an explicit offset (or Z), stored as UTC epoch milliseconds; nothing before 2000. */
export function timestamp(options: Options = {}) {
  const schema = z.string().transform((value, ctx) => {
    const ms = parseTimestamp(value)
    if (ms === undefined) {
      refuseShown(ctx, JSON.stringify(value), 'is not an ISO-8601 timestamp with a UTC offset')
      return z.NEVER
    }
    if (ms < EARLIEST_MS) {
      refuseShown(ctx, new Date(ms).toISOString(), 'is before 2000-01-01')
      return z.NEVER
    }
    return ms
  })
  return column(schema, 'timestamp', options.required ?? false, options.description ?? 'UTC timestamp', {
    type: 'timestamp',
  })
}

export const EARLIEST_MS = Date.UTC(2000, 0, 1)

/** Calendar date `YYYY-MM-DD`, stored as days since 1970-01-01. */
export function date(options: Options = {}) {
  const schema = z.string().transform((value, ctx) => {
    const day = parseDate(value)
    if (day === undefined) {
      refuseShown(ctx, JSON.stringify(value), 'is not a date (YYYY-MM-DD)')
      return z.NEVER
    }
    if (day < EARLIEST_MS / 86_400_000) {
      refuseShown(ctx, value, 'is before 2000-01-01')
      return z.NEVER
    }
    return day
  })
  return column(schema, 'date', options.required ?? false, options.description ?? 'calendar date')
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

/** `below`: an exclusive upper bound (a heading of 360 degrees is 0). */
function numeric(integer: boolean, min: number, max: number, below?: number) {
  return z.string().transform((value, ctx) => {
    const trimmed = value.trim()
    const n = NUMBER_TEXT.test(trimmed) ? Number(trimmed) : Number.NaN
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
      refuseShown(ctx, JSON.stringify(value), `is not ${integer ? 'an integer' : 'a number'}`)
      return z.NEVER
    }
    if (n < min || n > max) {
      refuseShown(ctx, String(n), `is outside ${min}..${max}`)
      return z.NEVER
    }
    if (below !== undefined && n >= below) {
      refuseShown(ctx, String(n), `is outside ${min}..${below} (${below} excluded)`)
      return z.NEVER
    }
    return n
  })
}

export function int(options: Options & { min?: number; max?: number } = {}) {
  const min = options.min ?? -2_147_483_648
  const max = options.max ?? 2_147_483_647
  return column(numeric(true, min, max), 'int', options.required ?? false, options.description ?? 'integer', {
    type: 'number',
    integer: true,
    min,
    max,
  })
}

export function double(options: Options & { min?: number; max?: number; below?: number } = {}) {
  const min = options.min ?? -Number.MAX_VALUE
  const max = options.max ?? Number.MAX_VALUE
  const schema = numeric(false, min, max, options.below)
  return column(schema, 'double', options.required ?? false, options.description ?? 'number', {
    type: 'number',
    integer: false,
    min,
    max,
    below: options.below,
  })
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1'])
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0'])

export function bool(options: Options = {}) {
  const schema = z.string().transform((value, ctx) => {
    const word = value.trim().toLowerCase()
    if (TRUE_WORDS.has(word)) return true
    if (FALSE_WORDS.has(word)) return false
    refuseShown(ctx, JSON.stringify(value), 'is not a boolean (true/false)')
    return z.NEVER
  })
  return column(schema, 'boolean', options.required ?? false, options.description ?? 'true or false')
}

/** The columns of a contract's object schema, in declaration order, with their storage types. */
export function columnsOf(schema: z.ZodObject): Column[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const meta = columnRegistry.get(field as z.ZodType)
    if (!meta) throw new Error(`column ${name} was not declared with a column helper`)
    return { name, ...meta }
  })
}
