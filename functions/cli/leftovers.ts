import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { removeDeadWorkFolders } from '../core/work-folder.ts'

/**
 * What runs killed mid-way (kill -9, Ctrl-C, out of memory) left behind, removed by the next command: their
 * work folders in the temporary folder and their temporary files in the lake (`lake`, when the command has
 * one). A live process's are kept (another command may be at work on the same lake), so this is safe at any
 * time. A temporary file is no object: no listing, view or query sees it, so removing one changes nothing a
 * `query` audits. Answers what it removed.
 */
export async function removeLeftovers(lake: string | undefined): Promise<string[]> {
  const folders = await removeDeadWorkFolders()
  const files = lake === undefined ? [] : await new FsObjectStore(lake).removeDeadWritersFiles()
  return [...folders, ...files]
}
