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
import { homedir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { installVenv } from '../helpers/python-venv.ts'
import { startLocalServer } from '../unit/helpers/local-server.ts'

export const MOTO_VERSION = '5.2.6'
/** moto 5.2 needs Python 3.9 or newer. */
export const MOTO_PYTHON_MINOR = 9
const REQUIREMENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'requirements.txt')

/** The virtualenv moto is installed in (HOTSPOT_MOTO_CACHE, else ~/.cache/hotspot/moto-<version>). */
export const MOTO_CACHE =
  process.env.HOTSPOT_MOTO_CACHE ?? path.join(homedir(), '.cache', 'hotspot', `moto-${MOTO_VERSION}`)
const MOTO_SERVER = path.join(MOTO_CACHE, 'bin', 'moto_server')

/**
 * Makes sure moto's virtualenv exists (installVenv: created the first time, redone when the pinned requirements
 * change) and returns its `moto_server`.
 */
export function installMoto(python: string): string {
  installVenv(python, MOTO_CACHE, REQUIREMENTS, 'import moto.server')
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
