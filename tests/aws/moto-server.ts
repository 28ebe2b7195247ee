/**
 * A real S3-compatible server for the S3 adapter's tests: moto's server (PyPI, Apache-2.0), on loopback.
 *
 * Why moto: it speaks the S3 REST protocol the SDK sends (SigV4, aws-chunked bodies with trailing checksums,
 * `If-None-Match: *`, paged ListObjectsV2, versioning, Object Lock), installs from PyPI into a virtualenv with no
 * build, and starts in about a second. MinIO, the other candidate, is AGPL and is not used here.
 *
 * The virtualenv is kept in ~/.cache/hotspot/moto-<version>/ (or HOTSPOT_MOTO_CACHE), installed from
 * tests/aws/requirements.txt (every transitive dependency pinned) by `npm run moto:install` or, when missing, by
 * the tests' global setup.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startLocalServer } from '../unit/helpers/local-server.ts'

export const MOTO_VERSION = '5.2.6'
const REQUIREMENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'requirements.txt')

/** The virtualenv moto is installed in (HOTSPOT_MOTO_CACHE, else ~/.cache/hotspot/moto-<version>). */
export const MOTO_CACHE =
  process.env.HOTSPOT_MOTO_CACHE ?? path.join(homedir(), '.cache', 'hotspot', `moto-${MOTO_VERSION}`)
const MOTO_SERVER = path.join(MOTO_CACHE, 'bin', 'moto_server')

/** A Python 3.9 or newer (moto 5.2 needs it): $HOTSPOT_PYTHON, else python3 on the PATH. */
export function findPython(): string | undefined {
  const python = process.env.HOTSPOT_PYTHON ?? 'python3'
  const { stdout, status } = spawnSync(
    python,
    ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'],
    {
      encoding: 'utf8',
    },
  )
  if (status !== 0 || !stdout) return undefined
  const [major, minor] = stdout.trim().split(' ').map(Number)
  return major === 3 && (minor ?? 0) >= 9 ? python : undefined
}

/**
 * Makes sure moto's virtualenv exists (creating it the first time: `python -m venv`, then pip from the pinned
 * requirements) and returns its `moto_server`. A complete install is marked with the requirements it was made
 * from, so a change to them reinstalls.
 */
export function installMoto(python: string): string {
  const requirements = readFileSync(REQUIREMENTS, 'utf8')
  const done = path.join(MOTO_CACHE, 'installed-requirements.txt')
  if (existsSync(done) && readFileSync(done, 'utf8') === requirements && existsSync(MOTO_SERVER))
    return MOTO_SERVER
  execFileSync(python, ['-m', 'venv', '--clear', MOTO_CACHE], { stdio: 'inherit' })
  execFileSync(
    path.join(MOTO_CACHE, 'bin', 'python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', REQUIREMENTS],
    { stdio: 'inherit' },
  )
  execFileSync(path.join(MOTO_CACHE, 'bin', 'python'), ['-c', 'import moto.server'])
  // written last: an interrupted install is redone
  writeFileSync(done, requirements)
  return MOTO_SERVER
}

/**
 * moto_server, with one change: a PutObject is handled under a lock, so that its `If-None-Match: *` check and
 * the write are one step, as they are on S3. moto 5.2.6 checks, then writes, on a threaded server: two creates of
 * one key racing each other could both be answered 200 (seen in the race test under load), where S3 answers one
 * of them 412. Every other request runs as moto runs it.
 */
const MOTO_MAIN = `
import sys, threading
from moto.s3.responses import S3Response
put_object = S3Response.put_object
lock = threading.Lock()
def put_object_atomically(self, *args, **kwargs):
    with lock:
        return put_object(self, *args, **kwargs)
S3Response.put_object = put_object_atomically
from moto.server import main
main(sys.argv[1:])
`

export interface RunningMoto {
  /** http://127.0.0.1:<port>, for the SDK's `endpoint` (with `forcePathStyle`). */
  endpoint: string
  stop(): Promise<void>
}

/**
 * Starts `moto_server` (MOTO_MAIN) on a free loopback port and waits until it answers. Its log goes to a temporary file,
 * quoted when it fails to start.
 */
export async function startMoto(python: string, options: { timeoutMs?: number } = {}): Promise<RunningMoto> {
  installMoto(python)
  const server = await startLocalServer({
    name: 'moto_server',
    timeoutMs: options.timeoutMs ?? 60_000,
    graceMs: 5_000,
    command: (_, port) => ({
      file: path.join(MOTO_CACHE, 'bin', 'python'),
      args: ['-c', MOTO_MAIN, '-H', '127.0.0.1', '-p', String(port)],
      // moto would otherwise look for credentials and a region of its own; the tests' dummy ones are enough
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: 'eu-west-2',
      },
    }),
    // moto's own API: answers once the server takes requests
    ready: async (url) => (await fetch(`${url}/moto-api/data.json`)).ok,
  })
  return { endpoint: server.url, stop: server.stop }
}
