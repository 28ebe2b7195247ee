import type { z } from 'zod'

/** A function's configuration is missing or invalid: it cannot start, and the message says what to set. */
export class ConfigError extends Error {
  constructor(
    readonly component: string,
    readonly problems: string[],
  ) {
    super(`${component}: invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
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
