import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'

/** The pid of a process that has ended: what a run killed with -9 leaves in the names of its leftovers. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  return child.pid as number
}

/** A process that stays alive until stopped: another command still at work. */
export function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
}
