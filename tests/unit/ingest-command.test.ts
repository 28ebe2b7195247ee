import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runIngestCommand } from '../../functions/cli/ingest-command.ts'
import { fixedClock } from '../../functions/core/ports.ts'

const SAMPLES = path.join(import.meta.dirname, '..', 'fixtures', 'sample-drops', 'incidents')
const clock = fixedClock('2026-03-04T12:00:00Z')

describe('hotspot ingest: what a folder means', () => {
  let work: string
  let drops: string
  let lake: string
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hotspot-ingest-command-'))
    drops = path.join(work, 'drops')
    lake = path.join(work, 'lake')
    mkdirSync(drops)
  })
  afterEach(async () => {
    await rm(work, { recursive: true, force: true })
  })

  it('ingests symlinks to regular files, and reports by name every entry that is not one (the rest still run)', async () => {
    const elsewhere = path.join(work, 'delivered')
    mkdirSync(elsewhere)
    copyFileSync(path.join(SAMPLES, '2026-03-03.csv'), path.join(elsewhere, 'third.csv'))
    copyFileSync(path.join(SAMPLES, '2026-03-02.csv'), path.join(drops, '2026-03-02.csv'))
    symlinkSync(path.join(elsewhere, 'third.csv'), path.join(drops, '2026-03-03.csv'))
    symlinkSync(path.join(elsewhere, 'gone.csv'), path.join(drops, '2026-03-01-dangling.csv'))
    symlinkSync(elsewhere, path.join(drops, '2026-03-01-link-to-folder'))
    mkdirSync(path.join(drops, '2026-03-01-subfolder'))
    execFileSync('mkfifo', [path.join(drops, '2026-03-01-fifo.csv')])
    symlinkSync(path.join(drops, '2026-03-01-loop.csv'), path.join(drops, '2026-03-01-loop.csv'))
    // hidden files (.DS_Store, editors' lock files) are not drops
    writeFileSync(path.join(drops, '.DS_Store'), 'Bud1')

    const { results, failures } = await runIngestCommand([drops], { lake, feed: 'incidents', clock })

    expect(
      results.map((r) => [path.basename(r.file), r.result.manifest.drop_date, r.result.outcome]),
    ).toEqual([
      ['2026-03-02.csv', '2026-03-02', 'ingested'],
      ['2026-03-03.csv', '2026-03-03', 'ingested'],
    ])
    expect(results[1]?.result.manifest.rows_in).toBe(26)
    expect(failures).toEqual([
      {
        file: path.join(drops, '2026-03-01-dangling.csv'),
        message: `${path.join(drops, '2026-03-01-dangling.csv')}: not ingested: a symbolic link to nothing`,
      },
      {
        file: path.join(drops, '2026-03-01-fifo.csv'),
        message: `${path.join(drops, '2026-03-01-fifo.csv')}: not ingested: not a regular file (a FIFO, socket or device)`,
      },
      {
        file: path.join(drops, '2026-03-01-link-to-folder'),
        message: `${path.join(drops, '2026-03-01-link-to-folder')}: not ingested: a folder (folders inside a folder are not searched)`,
      },
      {
        file: path.join(drops, '2026-03-01-loop.csv'),
        message: expect.stringMatching(
          /2026-03-01-loop\.csv: not ingested: cannot be examined: ELOOP: too many symbolic links/,
        ),
      },
      {
        file: path.join(drops, '2026-03-01-subfolder'),
        message: `${path.join(drops, '2026-03-01-subfolder')}: not ingested: a folder (folders inside a folder are not searched)`,
      },
    ])
  })

  it('fails a file dated after tomorrow in London, by --drop-date or by its name, while the others run', async () => {
    copyFileSync(path.join(SAMPLES, '2026-03-02.csv'), path.join(drops, '2026-03-02.csv'))
    copyFileSync(path.join(SAMPLES, '2026-03-03.csv'), path.join(drops, '2062-11-10.csv'))

    const byName = await runIngestCommand([drops], { lake, feed: 'incidents', clock })
    expect(byName.results.map((r) => r.result.manifest.drop_date)).toEqual(['2026-03-02'])
    expect(byName.failures).toEqual([
      {
        file: path.join(drops, '2062-11-10.csv'),
        message:
          `${path.join(drops, '2062-11-10.csv')}: rejected: drop date 2062-11-10 is after 2026-03-05, tomorrow in ` +
          'London, the latest accepted: a mistyped date would hide every later correction',
      },
    ])

    const byOption = await runIngestCommand([path.join(drops, '2026-03-02.csv')], {
      lake,
      feed: 'incidents',
      dropDate: '2062-11-10',
      clock,
    })
    expect(byOption.results).toEqual([])
    expect(byOption.failures).toEqual([
      {
        file: path.join(drops, '2026-03-02.csv'),
        message: expect.stringMatching(/rejected: drop date 2062-11-10 is after 2026-03-05/),
      },
    ])
  })

  it('ingests a path that is itself a symlink to a file, and reports a missing path while the others run', async () => {
    symlinkSync(path.join(SAMPLES, '2026-03-02.csv'), path.join(work, '2026-03-02.csv'))
    const missing = path.join(work, '2026-03-05.csv')

    const { results, failures } = await runIngestCommand([path.join(work, '2026-03-02.csv'), missing], {
      lake,
      feed: 'incidents',
      clock,
    })

    expect(results).toEqual([
      {
        file: path.join(work, '2026-03-02.csv'),
        result: expect.objectContaining({
          outcome: 'ingested',
          manifest: expect.objectContaining({ drop_date: '2026-03-02', rows_in: 26 }),
        }),
      },
    ])
    expect(failures).toEqual([{ file: missing, message: `${missing}: not ingested: no such file or folder` }])
  })

  it('quotes a file name holding a line break in its one-line reason', async () => {
    const named = path.join(drops, 'bad\nhotspot: forged-2026-03-02.csv')
    writeFileSync(named, '')
    const { failures } = await runIngestCommand([drops], { lake, feed: 'incidents', clock })
    expect(failures).toHaveLength(1)
    const message = failures[0]?.message ?? ''
    expect(message).not.toMatch(/\n/)
    expect(message).toContain(JSON.stringify(named))
  })
})
