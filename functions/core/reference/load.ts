import { type Clock, type ObjectStore, systemClock } from '../ports.ts'
import type { ReferenceKind, ReferenceLoadResult } from './manifest.ts'
import { loadPopulation } from './population.ts'
import { loadRecipients } from './recipients.ts'
import { loadRegister } from './register.ts'
import { loadWeights } from './weights.ts'

export { ReferenceDataError } from './errors.ts'
export {
  latestReference,
  REFERENCE_KINDS,
  type ReferenceKind,
  type ReferenceLoadResult,
  type ReferenceManifest,
} from './manifest.ts'

/**
 * Loads one reference file into the lake (`hotspot load KIND FILE`). Throws `ReferenceDataError` with a one-line
 * message naming the file, the line or feature and the field when the file is invalid; loading the same bytes
 * again stores nothing and reports `already-loaded`.
 */
export function loadReference(
  store: ObjectStore,
  kind: ReferenceKind,
  file: string,
  clock: Clock = systemClock,
): Promise<ReferenceLoadResult> {
  switch (kind) {
    case 'register':
      return loadRegister(store, file, clock)
    case 'weights':
      return loadWeights(store, file, clock)
    case 'recipients':
      return loadRecipients(store, file, clock)
    case 'population':
      return loadPopulation(store, file, clock)
  }
}
