/**
 * The Python tools the checks run (moto's S3 server for tests/aws, sqlfluff for the SQL lint), each in a virtualenv
 * of its own under ~/.cache/hotspot, installed from a requirements file that pins every transitive dependency.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** A Python 3.`minor` or newer (as a tool's pinned requirements need): $HOTSPOT_PYTHON, else python3 on the PATH. */
export function findPython(minor: number): string | undefined {
  const python = process.env.HOTSPOT_PYTHON ?? 'python3'
  const { stdout, status } = spawnSync(
    python,
    ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'],
    { encoding: 'utf8' },
  )
  if (status !== 0 || !stdout) return undefined
  const [major, found] = stdout.trim().split(' ').map(Number)
  return major === 3 && (found ?? 0) >= minor ? python : undefined
}

/**
 * Makes sure the virtualenv `venv` holds exactly `requirements` (creating it the first time: `python -m venv`,
 * then pip), and that `probe` (Python code) runs in it. A complete install is marked with the requirements it was
 * made from, so a change to them reinstalls.
 */
export function installVenv(python: string, venv: string, requirements: string, probe: string): void {
  const wanted = readFileSync(requirements, 'utf8')
  const done = path.join(venv, 'installed-requirements.txt')
  const venvPython = path.join(venv, 'bin', 'python')
  if (existsSync(done) && readFileSync(done, 'utf8') === wanted && existsSync(venvPython)) return
  execFileSync(python, ['-m', 'venv', '--clear', venv], { stdio: 'inherit' })
  execFileSync(
    venvPython,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', requirements],
    { stdio: 'inherit' },
  )
  execFileSync(venvPython, ['-c', probe])
  // written last: an interrupted install is redone
  writeFileSync(done, wanted)
}
