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

/** Runs `hotspot ...` as a user would (`npx hotspot` runs this same file), stdout not a terminal. */
export async function hotspot(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bin/hotspot.ts'), ...args],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    )
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}
