import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOTSPOT, ROOT } from './hotspot-cli.ts'

const run = promisify(execFile)
const COMMANDS = ['generate', 'ingest', 'load', 'run', 'sql', 'report', 'query']

describe('the built command line (bin/built-cli.mjs)', () => {
  it('prints the same help as its sources run through tsx, for the program and every command', async () => {
    for (const command of ['', ...COMMANDS]) {
      const args = command ? [command, '--help'] : ['--help']
      const [built, source] = await Promise.all([
        run(process.execPath, [HOTSPOT, ...args], { cwd: ROOT }),
        run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bin/hotspot.ts'), ...args], { cwd: ROOT }),
      ])
      expect(built.stdout, `hotspot ${args.join(' ')}`).toBe(source.stdout)
      expect(built.stdout).toContain('Usage: hotspot')
    }
  })

  describe('in a copy of the repository', () => {
    let copy: string
    const hotspot = (...args: string[]) =>
      run(process.execPath, [path.join(copy, 'bin/hotspot.mjs'), ...args], { cwd: copy })

    beforeAll(async () => {
      copy = await mkdtemp(path.join(tmpdir(), 'hotspot-built-cli-'))
      for (const folder of ['bin', 'functions', 'queries'])
        await cp(path.join(ROOT, folder), path.join(copy, folder), {
          recursive: true,
          preserveTimestamps: true,
        })
      await cp(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'))
      await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'))
    })
    afterAll(async () => {
      await rm(copy, { recursive: true, force: true })
    })

    it('builds on its first run, and not again while no source changes', async () => {
      const first = await hotspot('--help')
      expect(first.stderr).toMatch(/^hotspot: built dist\/cli \(\d+ ms\)\n$/)
      const second = await hotspot('--help')
      expect(second.stderr).toBe('')
      expect(second.stdout).toBe(first.stdout)
    })

    it('builds again before running when a source was touched, and runs the changed source', async () => {
      await hotspot('--help')
      // a module only a command imports, not the command table
      const leftovers = path.join(copy, 'functions/cli/leftovers.ts')
      const later = new Date(Date.now() + 5_000)
      await utimes(leftovers, later, later)
      expect((await hotspot('--help')).stderr).toMatch(/^hotspot: built /)
      const table = path.join(copy, 'bin/hotspot.ts')
      const source = await readFile(table, 'utf8')
      await writeFile(table, source.replaceAll("'lake folder'", "'the lake folder'"))
      const changed = await hotspot('load', '--help')
      expect(changed.stderr).toMatch(/^hotspot: built /)
      expect(changed.stdout).toContain('the lake folder')
    })

    it("reads the files it reads by path (the default weights, queries/) from the copy's source tree", async () => {
      const lake = path.join(copy, 'lake')
      await hotspot('load', 'weights', 'functions/core/reference/default-weights.csv', '--lake', lake)
      expect((await hotspot('query', 'select 42 as answer', '--lake', lake)).stdout).toContain('42')
      await rm(path.join(copy, 'queries/compat/duckdb.sql'))
      await expect(hotspot('query', 'select 42 as answer', '--lake', lake)).rejects.toThrow(
        `${copy}/queries/compat/duckdb.sql`,
      )
    })
  })
})
