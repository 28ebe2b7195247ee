import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * Work folders in the OS temporary folder are named `hotspot-<kind>-<pid>-<random>`: the process that made one
 * is in its name, so that a later run can tell the folders of a process that died (kill -9, out of memory) from
 * those of one still at work, and remove only the first.
 */
const WORK_KINDS = ['ingest', 'landed', 'run', 'reference', 'bench'] as const
export type WorkKind = (typeof WORK_KINDS)[number]

/** mkdtemp ends the name with 6 random letters and digits. */
const WORK_FOLDER = new RegExp(`^hotspot-(?:${WORK_KINDS.join('|')})-(\\d+)-[A-Za-z0-9]{6}$`)

/** This process's live work folders: a dead process's pid may come back as this one's (a Lambda's restarted runtime). */
const ours = new Set<string>()

export async function makeWorkFolder(kind: WorkKind): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), `hotspot-${kind}-${process.pid}-`))
  ours.add(folder)
  return folder
}

export async function removeWorkFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true })
  ours.delete(folder)
}

/** Whether a process of this pid is running (on this machine); EPERM: it is, as another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes the work folders that dead processes left in the temporary folder (`temp`, default the OS's), and
 * answers their paths. Folders of live processes, this one's among them, and anything else there are kept.
 */
export async function removeDeadWorkFolders(temp = tmpdir()): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(temp)
  } catch {
    return []
  }
  const dead = names.filter((name) => {
    const pid = WORK_FOLDER.exec(name)?.[1]
    const folder = path.join(temp, name)
    return (
      pid !== undefined && !ours.has(folder) && (Number(pid) === process.pid || !isProcessAlive(Number(pid)))
    )
  })
  await Promise.all(dead.map((name) => rm(path.join(temp, name), { recursive: true, force: true })))
  return dead.map((name) => path.join(temp, name))
}
