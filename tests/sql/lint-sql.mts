/**
 * `npm run lint:sql` (part of `npm run lint`): sqlfluff over queries/, with the rules of .sqlfluff (Trino, the
 * dialect Athena runs; queries/compat/.sqlfluff for DuckDB's own file). sqlfluff is a Python tool: it runs from a
 * virtualenv kept in ~/.cache/hotspot/sqlfluff-<version>/ (or HOTSPOT_SQLFLUFF_CACHE), installed the first time
 * from tests/sql/requirements.txt (every transitive dependency pinned). Arguments are passed on to `sqlfluff
 * lint` (e.g. a file, to lint only that one); `--install` only installs (`npm run sqlfluff:install`, which .ci/run
 * runs before the lint, so that an install failure is reported as one).
 */
import { spawnSync } from 'node:child_process'
import { homedir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { findPython, installVenv } from '../helpers/python-venv.ts'

const SQLFLUFF_VERSION = '4.5.0'
const REQUIREMENTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'requirements.txt')
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const CACHE =
  process.env.HOTSPOT_SQLFLUFF_CACHE ??
  path.join(homedir(), '.cache', 'hotspot', `sqlfluff-${SQLFLUFF_VERSION}`)

// the pinned regex and diff-cover need Python 3.11
const python = findPython(11)
if (!python) {
  console.error('lint:sql: no Python 3.11 or newer found (python3 on the PATH, or HOTSPOT_PYTHON)')
  process.exit(1)
}
installVenv(python, CACHE, REQUIREMENTS, 'import sqlfluff')
const args = process.argv.slice(2)
if (args.includes('--install')) process.exit(0)
// --processes 0: one worker per core (the longest marts take seconds each to parse)
const lint = spawnSync(
  path.join(CACHE, 'bin', 'sqlfluff'),
  ['lint', '--processes', '0', ...(args.length > 0 ? args : ['queries'])],
  { cwd: ROOT, stdio: 'inherit' },
)
process.exit(lint.status ?? 1)
