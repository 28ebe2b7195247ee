/** Object keys of the lake (DESIGN section 5); the same on S3 and on disk. */

export const landingKey = (feed: string, dropDate: string, file: string) =>
  `landing/${feed}/${dropDate}/${file}`
export const curatedKey = (feed: string, dropDate: string, dropId: string) =>
  `curated/${feed}/dt=${dropDate}/${dropId}.parquet`
export const quarantineKey = (feed: string, dropDate: string, dropId: string) =>
  `quarantine/${feed}/dt=${dropDate}/${dropId}.jsonl`
export const ingestManifestKey = (feed: string, dropId: string) => `manifests/ingest/${feed}/${dropId}.json`
/** First-writer-wins record of when a drop was first taken up; it fixes `ingested_at` for every retry. */
export const ingestClaimKey = (feed: string, dropId: string) =>
  `manifests/claims/ingest/${feed}/${dropId}.json`
/**
 * The record of one loaded reference version. It lives under `manifests/` (beside the ingest manifests) rather
 * than beside the data because a recipients file is itself `reference/recipients/<version>.json`. It is written
 * last, so its presence means every key it lists is in place.
 */
export const referenceManifestKey = (kind: string, version: string) =>
  `manifests/reference/${kind}/${version}.json`
export const referenceKey = (kind: string, version: string, extension: string) =>
  `reference/${kind}/${version}.${extension}`

/** `landing/<feed>/<YYYY-MM-DD>/<file>` split into its parts, or undefined for any other key. */
export function parseLandingKey(key: string): { feed: string; dropDate: string; file: string } | undefined {
  const m = /^landing\/([a-z_]+)\/(\d{4}-\d{2}-\d{2})\/(.+)$/.exec(key)
  return m ? { feed: m[1] as string, dropDate: m[2] as string, file: m[3] as string } : undefined
}
