/**
 * The command line runs built: bin/hotspot.ts and bin/start.ts bundled by esbuild into dist/cli/ (git-ignored),
 * each command's module a chunk of its own that loads when the command runs, so `hotspot --help` reads commander
 * and the command table only. Plain JavaScript, so that nothing has to compile it.
 *
 * Nobody runs stale code: the build records every source file it bundled with its size and modification time
 * (dist/cli/sources.json), and a launch that finds any of them changed (or the build itself) builds again first.
 * A new file counts too: importing it changes a file already listed.
 *
 * Packages stay outside the bundle (Node loads them from node_modules as before): DuckDB and resvg are native,
 * parquet-wasm reads its WebAssembly beside itself, and the bundle stays a few hundred kB that build in a second.
 * Files the code reads by path (queries/, fonts, the default weights) are read where they are in the source tree:
 * each bundled module keeps its source file's `import.meta.url`.
 */
import { randomBytes } from 'node:crypto'
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const BUILD_DIR = path.join(ROOT, 'dist', 'cli')
const SOURCES = path.join(BUILD_DIR, 'sources.json')
const THIS_FILE = fileURLToPath(import.meta.url)

/** The commands that run built, by their bundle's name. */
const ENTRIES = {
  hotspot: 'bin/hotspot.ts',
  start: 'bin/start.ts',
  // threaded-sink.ts starts it from beside its own chunk, as in the Lambda bundle
  'parquet-worker': 'functions/core/ingest/parquet-worker.ts',
}

/**
 * The module that looks for a built file beside itself (the Parquet writer thread): it keeps the URL of the
 * chunk it is bundled in.
 */
const KEEPS_BUNDLE_URL = new Set(['functions/core/ingest/threaded-sink.ts'])

/** A build older than this, no longer current, is removed: a command started before it may still load its chunks. */
const OLD_OUTPUT_MS = 60 * 60 * 1000

/** Runs a command built, building it first when its sources changed since the last build. */
export async function runBuilt(name) {
  if (!isFresh()) await build()
  await import(pathToFileURL(path.join(BUILD_DIR, `${name}.mjs`)).href)
}

/** Whether dist/cli holds a build of the sources as they are now. */
export function isFresh() {
  let recorded
  try {
    recorded = JSON.parse(readFileSync(SOURCES, 'utf8'))
  } catch {
    return false
  }
  return Object.entries(recorded).every(([file, seen]) => {
    const stat = statSync(path.join(ROOT, file), { throwIfNoEntry: false })
    return stat !== undefined && stat.size === seen.size && stat.mtimeMs === seen.mtimeMs
  })
}

/**
 * Bundles the entries into dist/cli. Each file is written whole under a temporary name and renamed into place,
 * and sources.json last, so that a command launched meanwhile (tests run several at once) reads either the old
 * build or the new one, never half of one. Chunks are named by their content: an older command's chunks stay.
 */
export async function build() {
  const { build: esbuild } = await import('esbuild')
  const started = performance.now()
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, file])),
    outdir: BUILD_DIR,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'warning',
    plugins: [sourceUrls],
  })
  mkdirSync(BUILD_DIR, { recursive: true })
  for (const file of result.outputFiles) writeWhole(file.path, file.contents)
  const sources = {}
  for (const file of [...Object.keys(result.metafile.inputs), path.relative(ROOT, THIS_FILE)]) {
    const { size, mtimeMs } = statSync(path.join(ROOT, file))
    sources[file] = { size, mtimeMs }
  }
  writeWhole(SOURCES, `${JSON.stringify(sources, null, 1)}\n`)
  removeOldOutputs(new Set([...result.outputFiles.map((file) => file.path), SOURCES]))
  process.stderr.write(
    `hotspot: built ${path.relative(process.cwd(), BUILD_DIR) || '.'} (${Math.round(performance.now() - started)} ms)\n`,
  )
}

/** Gives each bundled module its source file's `import.meta.url` (see the header). */
const sourceUrls = {
  name: 'source-urls',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const relative = path.relative(ROOT, args.path).split(path.sep).join('/')
      if (KEEPS_BUNDLE_URL.has(relative) || !source.includes('import.meta.url'))
        return { contents: source, loader: 'ts' }
      return {
        contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      }
    })
  },
}

function writeWhole(file, contents) {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`
  writeFileSync(temp, contents)
  renameSync(temp, file)
}

function removeOldOutputs(current) {
  for (const name of readdirSync(BUILD_DIR)) {
    const file = path.join(BUILD_DIR, name)
    if (current.has(file)) continue
    const stat = statSync(file, { throwIfNoEntry: false })
    if (stat?.isFile() && Date.now() - stat.mtimeMs > OLD_OUTPUT_MS) unlinkSync(file)
  }
}

// `node bin/built-cli.mjs`: build now
if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) await build()
