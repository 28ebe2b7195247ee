import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeWorkFolder, removeDeadWorkFolders, removeWorkFolder } from '../../functions/core/work-folder.ts'
import { deadPid, liveProcess } from './helpers/processes.ts'
import { sourceFiles } from './helpers/source-files.ts'

describe('work folders left by dead runs', () => {
  let temp: string
  const live = liveProcess()
  beforeEach(async () => {
    temp = await mkdtemp(path.join(tmpdir(), 'hotspot-test-temp-'))
  })
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true })
  })
  afterAll(() => {
    live.kill()
  })

  it("removes a dead process's work folders and keeps a live one's and anything else", async () => {
    const dead = await deadPid()
    const names = [
      `hotspot-ingest-${dead}-a1B2c3`,
      `hotspot-landed-${dead}-d4E5f6`,
      `hotspot-run-${live.pid}-g7H8i9`,
      // the earlier form (no pid) and other programs' folders: whose they are cannot be told
      'hotspot-ingest-j0K1l2',
      `hotspot-test-lake-${dead}-m3N4o5`,
      `other-${dead}-p6Q7r8`,
    ]
    for (const name of names) await mkdir(path.join(temp, name, 'inside'), { recursive: true })
    const removed = await removeDeadWorkFolders(temp)
    expect(removed.sort()).toEqual([
      path.join(temp, `hotspot-ingest-${dead}-a1B2c3`),
      path.join(temp, `hotspot-landed-${dead}-d4E5f6`),
    ])
    expect((await readdir(temp)).sort()).toEqual(names.slice(2).sort())
  })

  it("keeps this process's own live work folders, and removes one of its pid that it did not make (a restarted runtime's predecessor)", async () => {
    const mine = await makeWorkFolder('ingest')
    const predecessor = path.join(tmpdir(), `hotspot-ingest-${process.pid}-zZ9yY8`)
    await mkdir(predecessor)
    try {
      const removed = await removeDeadWorkFolders()
      expect(removed).toContain(predecessor)
      expect(removed).not.toContain(mine)
      expect(await readdir(mine)).toEqual([])
    } finally {
      await removeWorkFolder(mine)
      await rm(predecessor, { recursive: true, force: true })
    }
  })
})

describe('one work-folder helper', () => {
  it('is the only maker of temporary folders in the functions, the CLI, the CDK app and the benchmarks', () => {
    const makers = sourceFiles('functions', 'bin', 'lib', 'bench')
      .filter((file) => /\bmkdtemp(?:Sync)?\(/.test(file.text))
      .map((file) => file.path)
    expect(makers).toEqual(['functions/core/work-folder.ts'])
  })
})
