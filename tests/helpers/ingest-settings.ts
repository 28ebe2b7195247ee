import type { IngestSettings } from '../../functions/cli/config.ts'
import { DEFAULT_PING_ACCURACY_LIMIT_M } from '../../functions/core/contracts/feeds.ts'
import { PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'

/** The tests' pseudonymisation key: fixed, so that the pseudonyms of a test lake are the same on every run. */
export const TEST_PSEUDONYM_KEY_HEX = '5a'.repeat(32)

/** What `hotspot ingest` reads from the environment, for tests that ingest every feed. */
export const TEST_INGEST_SETTINGS: IngestSettings = {
  pseudonymKey: new PseudonymKey(Buffer.from(TEST_PSEUDONYM_KEY_HEX, 'hex')),
  accuracyLimitM: DEFAULT_PING_ACCURACY_LIMIT_M,
}
