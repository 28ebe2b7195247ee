import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { referenceManifestKey } from '../lake.ts'
import type { Clock, ObjectBody, ObjectStore } from '../ports.ts'
import { makeWorkFolder, removeWorkFolder } from '../work-folder.ts'
import { decodeUtf8 } from './errors.ts'

export const REFERENCE_KINDS = ['register', 'weights', 'recipients', 'population'] as const
export type ReferenceKind = (typeof REFERENCE_KINDS)[number]

/** The folder of each kind under `reference/` and `manifests/reference/`. */
export const STORED_KIND: Record<ReferenceKind, string> = {
  register: 'register',
  weights: 'harm_weights',
  recipients: 'recipients',
  population: 'population',
}

export const REFERENCE_MANIFEST_VERSION = 1

export type ReferenceSummary = Record<string, number | string>

export interface ReferenceManifest {
  manifest_version: number
  kind: ReferenceKind
  version: string
  /** Version of the file format's contract (e.g. `REGISTER_VERSION`). */
  schema_version: number
  source: { name: string; sha256: string; bytes: number }
  /** When this version was first loaded; loading the same file again does not change it. */
  loaded_at: string
  keys: string[]
  summary: ReferenceSummary
}

export interface ReferenceLoadResult {
  kind: ReferenceKind
  version: string
  keys: string[]
  outcome: 'loaded' | 'already-loaded'
  summary: ReferenceSummary
}

export interface PreparedObject {
  key: string
  body: ObjectBody
  contentType: string
}

export interface PreparedReference {
  schemaVersion: number
  objects: PreparedObject[]
  summary: ReferenceSummary
}

/** A reference file being loaded, as `prepare` gets it. */
export interface LoadingFile {
  /** The file as given (stored as is next to what is built from it). */
  bytes: Buffer
  /** Its UTF-8 text, without a byte-order mark. */
  text: string
  version: string
  /** A folder for files `prepare` builds, removed afterwards. */
  workDir: string
}

export interface LoadRequest {
  store: ObjectStore
  clock: Clock
  kind: ReferenceKind
  file: string
  /** Put before the first 16 hex digits of the file's sha256 to make its version (weights: `w-`). */
  versionPrefix?: string
  /** Validates the file and builds its objects. */
  prepare: (loading: LoadingFile) => Promise<PreparedReference>
}

/**
 * Stores one version of a reference file once. Its version comes from its content (the same bytes always get
 * the same version), and every object is a conditional create keyed by it, so a repeated or concurrent load of
 * the same bytes changes nothing, and a load interrupted before its manifest is completed by the next one.
 */
export async function loadOnce(request: LoadRequest): Promise<ReferenceLoadResult> {
  const { store, kind, file } = request
  const bytes = await readFile(file)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const version = `${request.versionPrefix ?? ''}${sha256.slice(0, 16)}`
  const manifestKey = referenceManifestKey(STORED_KIND[kind], version)
  if (await store.exists(manifestKey)) return alreadyLoaded(await readManifest(store, manifestKey))
  const text = decodeUtf8(bytes, file)
  const workDir = await makeWorkFolder('reference')
  try {
    const prepared = await request.prepare({ bytes, text, version, workDir })
    for (const object of prepared.objects) {
      await store.create(object.key, object.body, { contentType: object.contentType })
    }
    const manifest: ReferenceManifest = {
      manifest_version: REFERENCE_MANIFEST_VERSION,
      kind,
      version,
      schema_version: prepared.schemaVersion,
      source: { name: path.basename(file), sha256, bytes: bytes.length },
      loaded_at: request.clock.now().toISOString(),
      keys: prepared.objects.map((object) => object.key),
      summary: prepared.summary,
    }
    const created = await store.create(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
      contentType: 'application/json',
    })
    // a concurrent load of the same file wrote its manifest first: report that one
    if (created === 'exists') return alreadyLoaded(await readManifest(store, manifestKey))
    return { kind, version, keys: manifest.keys, outcome: 'loaded', summary: manifest.summary }
  } finally {
    await removeWorkFolder(workDir)
  }
}

function alreadyLoaded(manifest: ReferenceManifest): ReferenceLoadResult {
  const { kind, version, keys, summary } = manifest
  return { kind, version, keys, outcome: 'already-loaded', summary }
}

async function readManifest(store: ObjectStore, key: string): Promise<ReferenceManifest> {
  return JSON.parse((await store.getBytes(key)).toString('utf8')) as ReferenceManifest
}

/**
 * The most recently loaded version of a kind (latest `loaded_at`), or undefined when none is loaded. Loading an
 * older file again does not make it current: its first `loaded_at` stands.
 */
export async function latestReference(
  store: ObjectStore,
  kind: ReferenceKind,
): Promise<ReferenceManifest | undefined> {
  let latest: ReferenceManifest | undefined
  for await (const { key } of store.list(`manifests/reference/${STORED_KIND[kind]}/`)) {
    const manifest = await readManifest(store, key)
    if (latest === undefined || manifest.loaded_at > latest.loaded_at) latest = manifest
  }
  return latest
}
