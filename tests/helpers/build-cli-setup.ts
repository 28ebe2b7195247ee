import { execFileSync } from 'node:child_process'
import { HOTSPOT, ROOT } from '../e2e/hotspot-cli.ts'

/**
 * The tests spawn the built command line, which builds itself when its sources changed: built here once, before
 * they run side by side, rather than by several of them at once.
 */
export default function buildCli(): void {
  execFileSync(process.execPath, [HOTSPOT, '--help'], { cwd: ROOT, stdio: 'ignore' })
}
