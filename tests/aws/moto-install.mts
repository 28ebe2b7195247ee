/**
 * `npm run moto:install`: creates moto's virtualenv in its cache ahead of the test run (.ci/run calls it, so an
 * install failure is reported as one, and `npm run test:aws` finds the server ready).
 */
import { findPython } from '../helpers/python-venv.ts'
import { installMoto, MOTO_CACHE, MOTO_PYTHON_MINOR, MOTO_VERSION } from './moto-server.ts'

const python = findPython(MOTO_PYTHON_MINOR)
if (!python) {
  console.error('moto:install: no Python 3.9 or newer found (python3 on the PATH, or HOTSPOT_PYTHON)')
  process.exit(1)
}
const started = Date.now()
installMoto(python)
console.log(`moto ${MOTO_VERSION} in ${MOTO_CACHE} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
