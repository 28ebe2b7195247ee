import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filesUnder } from '../unit/helpers/lake.ts'
import { liveProcess } from '../unit/helpers/processes.ts'
import { HOTSPOT, hotspot, ROOT, type Run } from './hotspot-cli.ts'

const HEADER = 'incident_id,reported_at,crime_type,lat,lon,location_description'
const GOOD_ROW = 'INC-001,2026-05-01T10:00:00+01:00,Burglary,51.5136,-0.0890,On or near Cheapside'
/** 20,000 short lines that are no record: ~130 KB whose quarantine records come to ~4.6 MB. */
const GARBAGE = `${HEADER}\n${Array.from({ length: 20_000 }, (_, i) => `x${i}`).join('\n')}\n`

/**
 * Runs `hotspot ...` with a limit on the size of any file it writes (`ulimit -f`, in the shell's blocks: 512
 * or 1024 bytes). Node ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a write to a full disk
 * fails with ENOSPC: at the same call, for every file the process writes (its temporary files, the lake), with
 * no change to the code under test and no root (a small tmpfs needs root). Answers the run and its pid.
 */
async function hotspotLimited(fileSizeBlocks: number, ...args: string[]): Promise<Run & { pid: number }> {
  const running = promisify(execFile)(
    '/bin/sh',
    ['-c', `ulimit -f ${fileSizeBlocks} && exec "$0" "$@"`, process.execPath, HOTSPOT, ...args],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
  )
  const pid = running.child.pid as number
  try {
    const { stdout, stderr } = await running
    return { code: 0, stdout, stderr, pid }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, pid }
  }
}

/** The work folders a process made in the temporary folder (named by its pid: work-folder.ts). */
async function workFoldersOf(pid: number): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => new RegExp(`^hotspot-[a-z]+-${pid}-`).test(name))
}

describe('hotspot ingest when the temporary folder is full', () => {
  let work: string
  let lake: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-cli-failures-'))
    lake = path.join(work, 'lake')
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('names each failed file in one line, goes on with the next file, and leaves no work folder or temporary file', async () => {
    // 1024 blocks: 512 KB or 1 MB, room for the garbage drop and its landing copy, not for its quarantine file
    // in the temporary folder; and no room for the big drop's landing copy in the lake
    const garbage = path.join(work, 'a-2026-06-01.csv')
    const big = path.join(work, 'b-2026-06-01.csv')
    const good = path.join(work, 'c-2026-06-01.csv')
    await writeFile(garbage, GARBAGE)
    const rows = Array.from({ length: 15_000 }, (_, i) => GOOD_ROW.replace('INC-001', `INC-${i}`))
    await writeFile(big, `${HEADER}\n${rows.join('\n')}\n`)
    await writeFile(good, `${HEADER}\n${GOOD_ROW}\n`)
    const args = ['ingest', '--lake', lake, '--feed', 'incidents', '--json', garbage, big, good]
    const run = await hotspotLimited(1024, ...args)
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^hotspot: .*a-2026-06-01\.csv: not ingested: .*pass1\.jsonl: EFBIG/),
      expect.stringMatching(/^hotspot: .*b-2026-06-01\.csv: not ingested: EFBIG/),
      'hotspot: 2 of 3 files failed',
    ])
    const manifests = JSON.parse(run.stdout) as { source: { name: string }; rows_accepted: number }[]
    expect(manifests).toEqual([expect.objectContaining({ source: expect.objectContaining({ name: good }) })])
    expect(await workFoldersOf(run.pid)).toEqual([])
    expect((await filesUnder(lake)).filter((f) => f.includes('.tmp-'))).toEqual([])
  }, 60_000)
})

describe('hotspot after a run killed with -9', () => {
  let work: string
  let lake: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-cli-killed-'))
    lake = path.join(work, 'lake')
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it("removes the killed run's work folder and temporary files at the next command, and keeps a live writer's", async () => {
    const big = path.join(work, 'big-2026-06-01.csv')
    const rows = Array.from({ length: 200_000 }, (_, i) => GOOD_ROW.replace('INC-001', `INC-${i}`))
    await writeFile(big, `${HEADER}\n${rows.join('\n')}\n`)
    const killed = spawn(process.execPath, [HOTSPOT, 'ingest', '--lake', lake, '--feed', 'incidents', big], {
      cwd: ROOT,
      stdio: 'ignore',
    })
    const pid = killed.pid as number
    // killed while it reads the drop: its work folder exists
    while ((await workFoldersOf(pid)).length === 0) {
      if (killed.exitCode !== null) throw new Error('the ingest ended before it could be killed')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    killed.kill('SIGKILL')
    await once(killed, 'exit')
    expect(await workFoldersOf(pid)).toHaveLength(1)
    // a write of the killed run cut short, and one of a command still at work on the same lake
    const live = liveProcess()
    const landing = path.join(lake, 'landing/incidents/2026-06-01')
    const deadWriters = path.join(landing, `big-2026-06-01.csv.tmp-${pid}-0123456789ab`)
    const liveWriters = path.join(landing, `other.csv.tmp-${live.pid}-0123456789ab`)
    await mkdir(landing, { recursive: true })
    await writeFile(deadWriters, 'partial')
    await writeFile(liveWriters, 'partial')
    try {
      const good = path.join(work, 'b-2026-06-01.csv')
      await writeFile(good, `${HEADER}\n${GOOD_ROW}\n`)
      const rerun = await hotspot('ingest', '--lake', lake, '--feed', 'incidents', good)
      expect(rerun.code).toBe(0)
      expect(await workFoldersOf(pid)).toEqual([])
      const left = await readdir(landing)
      expect(left).toContain(path.basename(liveWriters))
      expect(left).not.toContain(path.basename(deadWriters))
    } finally {
      live.kill()
    }
  }, 120_000)
})
