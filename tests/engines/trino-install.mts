/**
 * `npm run trino:install`: downloads and unpacks the test Trino into its cache ahead of the test run (.ci/run
 * calls it, so a download failure is reported as one, and the suite's global setup finds the server ready).
 */
import { findJava, installTrino, TRINO_VERSION } from './trino-server.ts'

const java = findJava()
if (!java) {
  console.error(`trino:install: no Java 24 or newer found (JAVA_HOME, TRINO_JAVA_HOME or /usr/lib/jvm)`)
  process.exit(1)
}
const started = Date.now()
let home: string
try {
  home = await installTrino(java)
} catch (error) {
  console.error(`trino:install: ${(error as Error).message}`)
  process.exit(1)
}
console.log(
  `Trino ${TRINO_VERSION} at ${home} (java: ${java}; ${((Date.now() - started) / 1000).toFixed(1)} s)`,
)
