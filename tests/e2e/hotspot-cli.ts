import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const SAMPLES = path.join(ROOT, 'tests/fixtures/sample-drops')

export interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The built command line, as `npx hotspot` runs it (bin/built-cli.mjs): built first when its sources changed. */
export const HOTSPOT = path.join(ROOT, 'bin/hotspot.mjs')

/** Runs `hotspot ...` as a user would, stdout not a terminal. */
export async function hotspot(...args: string[]): Promise<Run> {
  return hotspotWith({}, ...args)
}

/** `hotspot ...` with these environment variables besides the test's own. */
export async function hotspotWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [HOTSPOT, ...args], {
      cwd: ROOT,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, ...env },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}
