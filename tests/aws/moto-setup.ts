/**
 * Vitest global setup of `npm run test:aws` (vitest.aws.config.ts): one moto S3 server for the whole run
 * (tests/aws/moto-server.ts), its endpoint given to the tests as `inject('moto')`, stopped at the end whatever the
 * tests did. Where the machine has no Python 3.9+ (or moto cannot be installed) the tests say so and are skipped,
 * except under CI, where that fails the run. HOTSPOT_MOTO=off skips it on purpose; CI refuses that too.
 */
import type { TestProject } from 'vitest/node'
import { findPython } from '../helpers/python-venv.ts'
import { MOTO_PYTHON_MINOR, MOTO_VERSION, type RunningMoto, startMoto } from './moto-server.ts'

export interface ProvidedMoto {
  endpoint: string | null
  /** Why there is no server, for the skip message. */
  missing: string | null
  version: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    moto: ProvidedMoto
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ci = Boolean(process.env.CI)
  let running: RunningMoto | undefined
  let missing: string | null = null
  const python = findPython(MOTO_PYTHON_MINOR)
  if (process.env.HOTSPOT_MOTO === 'off') missing = 'HOTSPOT_MOTO=off'
  else if (!python) missing = 'no Python 3.9 or newer (python3 on the PATH, or HOTSPOT_PYTHON)'
  if (missing && ci) throw new Error(`moto ${MOTO_VERSION} is required under CI: ${missing}`)
  if (python && !missing) {
    try {
      running = await startMoto(python)
    } catch (error) {
      if (ci) throw error
      missing = `moto ${MOTO_VERSION} could not be installed or started: ${(error as Error).message}`
    }
  }
  project.provide('moto', { endpoint: running?.endpoint ?? null, missing, version: MOTO_VERSION })
  return async () => {
    await running?.stop()
  }
}
