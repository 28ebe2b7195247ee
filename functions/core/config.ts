import { z } from 'zod'
import { PSEUDONYM_KEY_MIN_BYTES, PseudonymKey } from './ingest/pseudonym.ts'

/** A function's configuration is missing or invalid: it cannot start, and the message says what to set. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(
    readonly component: string,
    readonly problems: string[],
  ) {
    super(`${component}: invalid configuration: ${problems.join('; ')}`)
  }
}

/**
 * Parses environment variables with a zod schema, once, at cold start. Required settings have no silent
 * default: a missing one stops the function at start-up with a message naming the variable, instead of
 * failing later on the first event (or, worse, working against the wrong resource).
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  component: string,
): z.output<S> {
  const parsed = schema.safeParse(env)
  if (parsed.success) return parsed.data
  throw new ConfigError(
    component,
    parsed.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`,
    ),
  )
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

/** An S3 bucket name from the environment; `purpose` says, when it is missing, what the function uses it for. */
export function bucketName(purpose: string) {
  return z
    .string({ error: `is required: ${purpose}` })
    .regex(BUCKET_NAME, { error: (issue) => `${JSON.stringify(issue.input)} is not an S3 bucket name` })
}

/**
 * Powertools' settings, as the stack gives them to every function: the service of each log line, trace and
 * metric, and the CloudWatch namespace of the metrics (where the stack's alarms read them).
 */
export const powertoolsEnv = {
  POWERTOOLS_SERVICE_NAME: z.string().min(1).optional(),
  POWERTOOLS_METRICS_NAMESPACE: z
    .string({ error: "is required: the CloudWatch namespace of the function's metrics" })
    .min(1),
}

/** The lake's Object Lock settings, as the stack gives them to every function that writes records. */
export const lakeLockEnv = {
  LAKE_LOCK_MODE: z.enum(['GOVERNANCE', 'COMPLIANCE']).optional(),
  LAKE_LOCK_DAYS: z.coerce.number().int().positive().optional(),
  LAKE_LOCKED_PREFIXES: z.string().min(1).optional(),
}

/**
 * Object Lock settings from the environment: all three variables or none (a lake without Object Lock, as in
 * tests and local runs).
 */
export function lakeLock(
  env: {
    LAKE_LOCK_MODE?: 'GOVERNANCE' | 'COMPLIANCE'
    LAKE_LOCK_DAYS?: number
    LAKE_LOCKED_PREFIXES?: string
  },
  component: string,
): { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number; prefixes: string[] } | undefined {
  const given = [env.LAKE_LOCK_MODE, env.LAKE_LOCK_DAYS, env.LAKE_LOCKED_PREFIXES].filter(
    (v) => v !== undefined,
  )
  if (given.length === 0) return undefined
  if (given.length < 3) {
    throw new ConfigError(component, [
      'LAKE_LOCK_MODE, LAKE_LOCK_DAYS and LAKE_LOCKED_PREFIXES are set together or not at all',
    ])
  }
  return {
    mode: env.LAKE_LOCK_MODE as 'GOVERNANCE' | 'COMPLIANCE',
    days: env.LAKE_LOCK_DAYS as number,
    prefixes: (env.LAKE_LOCKED_PREFIXES as string)
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  }
}

/**
 * A pseudonymisation key as configured (an environment variable, a file, an SSM parameter): hex, at least
 * PSEUDONYM_KEY_MIN_BYTES bytes, edge whitespace ignored. Hex, not base64: one spelling of each key, no padding
 * or alphabet to get wrong, and `openssl rand -hex 32` makes one. A refusal never shows the value.
 */
export const pseudonymKeyText = z
  .string()
  .trim()
  .regex(new RegExp(`^([0-9a-fA-F]{2}){${PSEUDONYM_KEY_MIN_BYTES},}$`), {
    error: `is not a key of at least ${PSEUDONYM_KEY_MIN_BYTES * 2} hex digits (${PSEUDONYM_KEY_MIN_BYTES} bytes): make one with \`openssl rand -hex ${PSEUDONYM_KEY_MIN_BYTES}\``,
  })
  .transform((hex) => new PseudonymKey(Buffer.from(hex, 'hex')))

/** The accuracy limit of patrol pings (m): rows over it are kept but flagged (FeedContract.accuracyFlag). */
export const accuracyLimitM = z.coerce
  .number({ error: 'is not a number of metres' })
  .positive({ error: 'is not a positive number of metres' })
  .refine(Number.isFinite, { error: 'is not a finite number of metres' })
