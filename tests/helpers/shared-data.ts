import { existsSync } from 'node:fs'
import path from 'node:path'

/** `../shared/data` beside the repository: the real public police and ONS data the tests check against. */
const SHARED_DATA = path.resolve(import.meta.dirname, '../../../shared/data')

/**
 * A file or folder of `../shared/data`, and whether it is there. Outside CI its absence skips the tests that
 * need it, with a message saying so; under CI (where `../shared` always sits beside the clone) it fails the run,
 * because a skipped check there would pass silently.
 */
export function sharedData(relative: string, checks: string): { path: string; present: boolean } {
  const location = path.join(SHARED_DATA, relative)
  const present = existsSync(location)
  if (!present) {
    if (process.env.CI) throw new Error(`CI must run ${checks}: ${location} is missing`)
    console.warn(
      `skipping ${checks}: ${location} is not present (it is in ../shared/data beside the repository)`,
    )
  }
  return { path: location, present }
}
