import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { removeDeadWorkFolders } from '../core/work-folder.ts'

/**
 * What runs killed mid-way (kill -9, out of memory) left behind, removed at the start of the next command:
 * their work folders in the temporary folder and, for a command that writes the lake, their temporary files
 * in it. A live process's are kept (another command may be at work on the same lake), so this is safe at any
 * time. `query` passes no lake: an auditor's tool writes nothing there.
 */
export async function removeLeftovers(lake: string | undefined): Promise<string[]> {
  const folders = await removeDeadWorkFolders()
  const files = lake === undefined ? [] : await new FsObjectStore(lake).removeDeadWritersFiles()
  return [...folders, ...files]
}
