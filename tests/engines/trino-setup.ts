/**
 * Vitest global setup: one real Trino for the whole run (tests/engines/trino-server.ts), its address given to
 * the tests as `inject('trino')`. Where the machine has no Java 24 or newer the tests that need Trino say so and
 * are skipped, except under CI, where its absence fails the run. HOTSPOT_TRINO=off skips it on purpose (a
 * quick local run of unrelated tests); CI refuses that too.
 */
import type { TestProject } from 'vitest/node'
import { findJava, type RunningTrino, startTrino, TRINO_VERSION } from './trino-server.ts'

export interface ProvidedTrino {
  url: string | null
  /** Why there is no Trino, for the skip message. */
  missing: string | null
  version: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    trino: ProvidedTrino
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const ci = Boolean(process.env.CI)
  let running: RunningTrino | undefined
  let missing: string | null = null
  const java = findJava()
  if (process.env.HOTSPOT_TRINO === 'off') missing = 'HOTSPOT_TRINO=off'
  else if (!java)
    missing =
      'no Java 24 or newer (set JAVA_HOME or TRINO_JAVA_HOME to a JDK such as /usr/lib/jvm/temurin-25-jdk-amd64)'
  if (missing && ci) throw new Error(`Trino ${TRINO_VERSION} is required under CI: ${missing}`)
  if (java && !missing) running = await startTrino(java)
  project.provide('trino', { url: running?.url ?? null, missing, version: TRINO_VERSION })
  return async () => {
    await running?.stop()
  }
}
