/**
 * A real Trino for the tests: the engine Athena engine v3 is built on, from Maven Central, run on the machine's
 * Java (Trino 476 needs Java 24 or newer: the Temurin 25 JDK beside the default one).
 *
 * Why the server distribution and not Trino's testing query runner (`trino-testing`): the runner is a Java
 * library, so it needs a Maven project, a build and a few hundred MB of resolved dependencies before its first
 * start, and then starts the same server classes in the same JVM. `trino-server-core` (the server with no
 * connectors) plus the Hive plugin is two downloads (190 MB and 250 MB, each checked against Maven Central's
 * SHA-1), no build, and starts in about 11 s on 2 cores: the fastest way to a real engine here.
 *
 * The Hive connector reads the lake's Parquet files in place on the local disk (`fs.native-local.enabled`, with
 * the file system root as `local:///`), with a file metastore in a temporary folder.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readdirSync } from 'node:fs'
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { startLocalServer } from '../unit/helpers/local-server.ts'

export const TRINO_VERSION = '476'
const MAVEN = process.env.HOTSPOT_MAVEN_REPOSITORY ?? 'https://repo1.maven.org/maven2'
const ARTIFACTS = {
  server: `io/trino/trino-server-core/${TRINO_VERSION}/trino-server-core-${TRINO_VERSION}.tar.gz`,
  hive: `io/trino/trino-hive/${TRINO_VERSION}/trino-hive-${TRINO_VERSION}.zip`,
} as const

/** Where the downloads and the unpacked server are kept between runs (HOTSPOT_TRINO_CACHE, else ~/.cache). */
export const TRINO_CACHE =
  process.env.HOTSPOT_TRINO_CACHE ?? path.join(homedir(), '.cache', 'hotspot', `trino-${TRINO_VERSION}`)

/** The unpacked server, with the Hive plugin in its plugin folder. */
export const TRINO_HOME = path.join(TRINO_CACHE, `trino-server-core-${TRINO_VERSION}`)

const MIN_JAVA = 24

function javaVersion(java: string): number | undefined {
  // `java -version` prints to stderr
  const { stderr, stdout } = spawnSync(java, ['-version'], { encoding: 'utf8' })
  return versionOf(`${stderr ?? ''}${stdout ?? ''}`)
}

function versionOf(text: string): number | undefined {
  const m = /version "(\d+)/.exec(text)
  return m ? Number(m[1]) : undefined
}

/**
 * A `java` that can run Trino: $TRINO_JAVA_HOME, then $JAVA_HOME, then any JDK under /usr/lib/jvm, the first of
 * version 24 or newer. Undefined when the machine has none.
 */
export function findJava(): string | undefined {
  const homes = [process.env.TRINO_JAVA_HOME, process.env.JAVA_HOME]
  if (existsSync('/usr/lib/jvm'))
    homes.push(
      ...readdirSync('/usr/lib/jvm')
        .sort()
        .reverse()
        .map((d) => path.join('/usr/lib/jvm', d)),
    )
  for (const home of homes) {
    if (!home) continue
    const java = path.join(home, 'bin', 'java')
    if (!existsSync(java)) continue
    const version = javaVersion(java)
    if (version !== undefined && version >= MIN_JAVA) return java
  }
  return undefined
}

async function sha1Of(file: string): Promise<string> {
  const hash = createHash('sha1')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

const SHA1 = /^[0-9a-f]{40}$/

/** Maven Central's SHA-1 of a file: 40 hex digits, or the download fails (a proxy's error page is not one). */
async function expectedSha1(artifact: string): Promise<string> {
  const response = await fetchOrSay(`${MAVEN}/${artifact}.sha1`, 60_000)
  const sha1 = (await response.text()).trim().split(/\s+/)[0] ?? ''
  if (!SHA1.test(sha1)) throw new Error(`Trino download: ${MAVEN}/${artifact}.sha1 is not a SHA-1`)
  return sha1
}

async function fetchOrSay(url: string, timeoutMs: number): Promise<Response> {
  let response: Response
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    throw new Error(`Trino download: ${url}: ${(error as Error).cause ?? (error as Error).message}`)
  }
  if (!response.ok || !response.body) throw new Error(`Trino download: ${url} answered ${response.status}`)
  return response
}

/**
 * Downloads a Maven Central file into the cache, unless a copy with Maven Central's SHA-1 is there already: a
 * half-downloaded or damaged file is fetched again, and a file is kept only once its SHA-1 matches.
 */
async function download(artifact: string): Promise<string> {
  const file = path.join(TRINO_CACHE, path.basename(artifact))
  const sha1 = await expectedSha1(artifact)
  if (existsSync(file) && (await sha1Of(file)) === sha1) return file
  const partial = `${file}.part`
  // 450 MB in all: ten minutes is far more than Maven Central needs, and a stalled transfer still ends
  const response = await fetchOrSay(`${MAVEN}/${artifact}`, 600_000)
  const out = await open(partial, 'w')
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) await out.write(chunk)
  } finally {
    await out.close()
  }
  const got = await sha1Of(partial)
  if (got !== sha1) {
    await rm(partial, { force: true })
    throw new Error(`Trino download: ${artifact} has SHA-1 ${got}, Maven Central says ${sha1}`)
  }
  await rename(partial, file)
  return file
}

/**
 * Makes sure the server and its Hive plugin are unpacked in the cache (downloading them the first time) and
 * returns TRINO_HOME. Safe to call again: a complete install is marked and found.
 */
export async function installTrino(java: string): Promise<string> {
  const done = path.join(TRINO_CACHE, `installed-${TRINO_VERSION}`)
  if (existsSync(done)) return TRINO_HOME
  await mkdir(TRINO_CACHE, { recursive: true })
  const server = await download(ARTIFACTS.server)
  const hive = await download(ARTIFACTS.hive)
  await rm(TRINO_HOME, { recursive: true, force: true })
  execFileSync('tar', ['xzf', server, '-C', TRINO_CACHE])
  // the plugin zip holds one folder, trino-hive-<version>; the JDK's own jar tool unpacks it
  const jar = path.join(path.dirname(java), 'jar')
  const plugins = path.join(TRINO_HOME, 'plugin')
  execFileSync(jar, ['xf', hive], { cwd: plugins })
  await rename(path.join(plugins, `trino-hive-${TRINO_VERSION}`), path.join(plugins, 'hive'))
  await writeFile(done, `${new Date().toISOString()}\n`)
  return TRINO_HOME
}

export interface RunningTrino {
  url: string
  /** The catalog over the local file system. */
  catalog: string
  stop(): Promise<void>
}

/**
 * Starts a one-node Trino (coordinator and worker in one JVM) on a free loopback port and waits until it takes
 * queries. Its log goes to `<work>/server.log`, quoted when it fails to start.
 */
export async function startTrino(java: string, options: { timeoutMs?: number } = {}): Promise<RunningTrino> {
  const home = await installTrino(java)
  const server = await startLocalServer({
    name: 'Trino',
    timeoutMs: options.timeoutMs ?? 180_000,
    graceMs: 10_000,
    prepare: async (work, port) => {
      const catalogs = path.join(work, 'catalog')
      await mkdir(catalogs)
      await mkdir(path.join(work, 'metastore'))
      await writeFile(
        path.join(work, 'config.properties'),
        [
          'coordinator=true',
          'node-scheduler.include-coordinator=true',
          `http-server.http.port=${port}`,
          `discovery.uri=http://127.0.0.1:${port}`,
          'node.environment=test',
          `plugin.dir=${path.join(home, 'plugin')}`,
          `catalog.config-dir=${catalogs}`,
          'query.max-memory=1GB',
          'query.max-memory-per-node=1GB',
          // two cores: one task writer and a small pool keep the JVM from oversubscribing them
          'task.concurrency=2',
          '',
        ].join('\n'),
      )
      await writeFile(
        path.join(catalogs, 'hive.properties'),
        [
          'connector.name=hive',
          'hive.metastore=file',
          `hive.metastore.catalog.dir=local://${path.join(work, 'metastore')}`,
          'fs.native-local.enabled=true',
          // local:///tmp/x is /tmp/x: the lake's own folders, read in place
          'local.location=/',
          // Athena reads timestamps to the millisecond, as the lake stores them
          'hive.timestamp-precision=MILLISECONDS',
          '',
        ].join('\n'),
      )
    },
    command: (work) => ({
      file: java,
      args: [
        '-Xmx2G',
        '-XX:+UseG1GC',
        // the client compiler only: the tests send a few hundred different queries, each a handful of times, and
        // C2's compilations cost more CPU than they save (3 SQL test files: 52.7 s against 62.3 s on 2 cores)
        '-XX:TieredStopAtLevel=1',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djdk.attach.allowAttachSelf=true',
        `-Dconfig=${path.join(work, 'config.properties')}`,
        '-cp',
        `${path.join(home, 'lib')}/*`,
        'io.trino.server.TrinoServer',
      ],
    }),
    ready: async (url) =>
      ((await (await fetch(`${url}/v1/info`)).json()) as { starting?: boolean }).starting === false,
  })
  return { url: server.url, catalog: 'hive', stop: server.stop }
}
