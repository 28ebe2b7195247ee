import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, link, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  assertValidKey,
  isLocalFile,
  type ObjectBody,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type ReadOptions,
} from '../core/ports.ts'
import { isProcessAlive } from '../core/work-folder.ts'

const TEMP_MARKER = '.tmp-'
/**
 * Exactly the names `writeTemp` generates, so that a key that merely contains `.tmp-` is still listed: the
 * writer's pid, then random hex. Earlier versions wrote no pid.
 */
const TEMP_NAME = /\.tmp-(?:(\d+)-)?[0-9a-f]{12}$/
/** A temporary file of the earlier form (no pid) this old is a dead writer's: no write takes an hour. */
const UNOWNED_TEMP_STALE_MS = 60 * 60 * 1000

/** S3 lists keys in the order of their UTF-8 bytes; JavaScript's `<` compares UTF-16 code units. */
function sortByUtf8(objects: ObjectInfo[]): ObjectInfo[] {
  return objects
    .map((object) => ({ object, bytes: Buffer.from(object.key, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ object }) => object)
}

async function writeBody(temp: string, body: ObjectBody): Promise<void> {
  if (body instanceof Readable) await pipeline(body, createWriteStream(temp, { flags: 'wx' }))
  else if (isLocalFile(body)) await copyFile(body.file, temp)
  else await writeFile(temp, body, { flag: 'wx' })
}

/**
 * The lake on a local disk, laid out exactly as in S3. Writes go to a temporary file in the target folder and
 * are then published atomically: `rename` for `put`, `link` (which fails with EEXIST) for `create`, so a reader
 * never sees a half-written object and two concurrent creators cannot both win.
 */
export class FsObjectStore implements ObjectStore {
  readonly location: string
  /** Folders this store has made or written into. */
  private readonly folders = new Set<string>()

  constructor(readonly root: string) {
    this.location = path.resolve(root)
  }

  private pathOf(key: string): string {
    assertValidKey(key)
    return path.join(this.location, ...key.split('/'))
  }

  async get(key: string, options: ReadOptions = {}): Promise<Readable> {
    const file = this.pathOf(key)
    // a file has one version only: reading it for another would read the wrong bytes
    if (options.versionId !== undefined) {
      throw new Error(
        `${this.location} keeps no object versions: cannot read version ${options.versionId} of ${key}`,
      )
    }
    let isFile: boolean
    try {
      isFile = (await stat(file)).isFile()
    } catch (error) {
      throw this.translate(error, key)
    }
    // a folder is a key prefix, not an object (as in S3)
    if (!isFile) throw new ObjectNotFoundError(key, this.location)
    return createReadStream(file)
  }

  async getBytes(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key))
    } catch (error) {
      throw this.translate(error, key)
    }
  }

  async exists(key: string): Promise<boolean> {
    const file = this.pathOf(key) // an invalid key throws, as in every other method
    try {
      return (await stat(file)).isFile()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return false
      throw error
    }
  }

  async put(key: string, body: ObjectBody): Promise<void> {
    const target = this.pathOf(key)
    const temp = await this.writeTemp(target, body)
    try {
      await rename(temp, target)
    } catch (error) {
      await unlink(temp).catch(() => undefined)
      throw error
    }
  }

  async create(key: string, body: ObjectBody): Promise<'created' | 'exists'> {
    const target = this.pathOf(key)
    // a stream or a file is not copied for an object that exists; bytes in memory are cheaper to write than to
    // look first (the link below refuses an existing key all the same)
    if ((body instanceof Readable || isLocalFile(body)) && (await this.exists(key))) {
      if (body instanceof Readable) body.destroy()
      return 'exists'
    }
    const temp = await this.writeTemp(target, body)
    try {
      await link(temp, target)
      return 'created'
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'exists'
      throw error
    } finally {
      await unlink(temp)
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const keys: ObjectInfo[] = []
    await this.walk(this.location, '', prefix, keys)
    yield* sortByUtf8(keys)
  }

  private async walk(dir: string, keyPrefix: string, wanted: string, out: ObjectInfo[]): Promise<void> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
      throw error
    }
    // a folder's entries at once: a lake holds thousands of daily folders, and one at a time they take seconds
    await Promise.all(
      entries.map(async (entry) => {
        const key = keyPrefix + entry.name
        if (entry.isDirectory()) {
          const folder = `${key}/`
          // descend only where the folder could hold keys with the wanted prefix
          if (folder.startsWith(wanted) || wanted.startsWith(folder)) {
            await this.walk(path.join(dir, entry.name), folder, wanted, out)
          }
        } else if (entry.isFile() && !TEMP_NAME.test(entry.name) && key.startsWith(wanted)) {
          out.push({ key })
        }
      }),
    )
  }

  private async writeTemp(target: string, body: ObjectBody): Promise<string> {
    const folder = path.dirname(target)
    // a folder this store made before is not made again (an ingest writes four objects a drop), unless it is
    // gone (a lake's copy removed meanwhile): a stream cannot be written twice, so its folder is always made
    const known = this.folders.has(folder) && !(body instanceof Readable)
    if (!known) await mkdir(folder, { recursive: true })
    const temp = `${target}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`
    try {
      await writeBody(temp, body).catch(async (error: NodeJS.ErrnoException) => {
        if (!known || error.code !== 'ENOENT') throw error
        await mkdir(folder, { recursive: true })
        await writeBody(temp, body)
      })
    } catch (error) {
      if (body instanceof Readable) body.destroy()
      await unlink(temp).catch(() => undefined)
      throw error
    }
    this.folders.add(folder)
    return temp
  }

  /**
   * Removes the temporary files that writers which died (kill -9) left in the lake, and answers their keys. A
   * live writer's are kept: its pid is in their name, and another command may be writing the lake right now.
   */
  async removeDeadWritersFiles(): Promise<string[]> {
    const entries = await readdir(this.location, { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return []
        throw error
      },
    )
    const removed: string[] = []
    for (const entry of entries) {
      const owner = TEMP_NAME.exec(entry.name)
      if (!owner || !entry.isFile()) continue
      const file = path.join(entry.parentPath, entry.name)
      const pid = owner[1] === undefined ? undefined : Number(owner[1])
      const dead =
        pid === undefined
          ? Date.now() - (await stat(file)).mtimeMs > UNOWNED_TEMP_STALE_MS
          : pid !== process.pid && !isProcessAlive(pid)
      if (dead) {
        await unlink(file).catch(() => undefined)
        removed.push(path.relative(this.location, file).split(path.sep).join('/'))
      }
    }
    return removed
  }

  private translate(error: unknown, key: string): unknown {
    const code = (error as NodeJS.ErrnoException).code
    // ENOTDIR: a leading part of the key is an object, not a folder (e.g. `a/b/c` when `a/b` is an object)
    return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR'
      ? new ObjectNotFoundError(key, this.location)
      : error
  }
}
