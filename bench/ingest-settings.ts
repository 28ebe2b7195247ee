import { randomBytes } from 'node:crypto'
import type { IngestSettings } from '../functions/cli/config.ts'
import { DEFAULT_PING_ACCURACY_LIMIT_M } from '../functions/core/contracts/feeds.ts'
import { PseudonymKey } from '../functions/core/ingest/pseudonym.ts'

/** A bench's ingest settings: a key of its own run (its lakes are scratch), the default accuracy limit. */
export const BENCH_INGEST_SETTINGS: IngestSettings = {
  pseudonymKey: new PseudonymKey(randomBytes(32)),
  accuracyLimitM: DEFAULT_PING_ACCURACY_LIMIT_M,
}
