import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const repoRoot = path.resolve(import.meta.dirname, '../../..')

export interface SourceFile {
  /** Relative to the repository root, '/'-separated. */
  path: string
  text: string
}

/** The TypeScript files under the given folders of the repository (relative paths), for tests that read the source. */
export function sourceFiles(...folders: string[]): SourceFile[] {
  return folders.flatMap((folder) =>
    readdirSync(path.join(repoRoot, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && !file.split(path.sep).includes('node_modules'))
      .map((file) => {
        const relative = path.join(folder, file)
        return {
          path: relative.split(path.sep).join('/'),
          text: readFileSync(path.join(repoRoot, relative), 'utf8'),
        }
      }),
  )
}
