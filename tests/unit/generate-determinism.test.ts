import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeGenerateSummary, runGenerateCommand } from '../../functions/cli/generate-command.ts'
import { generateCity } from '../../functions/core/generate/generate.ts'
import { filesUnder } from './helpers/lake.ts'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-generate-determinism-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** sha256 of every file below `root`, by relative path. */
async function hashes(root: string): Promise<Map<string, string>> {
  const files = await filesUnder(root)
  return new Map(
    files.map((file) => [
      file,
      createHash('sha256')
        .update(readFileSync(path.join(root, file)))
        .digest('hex'),
    ]),
  )
}

describe('generate is deterministic', () => {
  it('the same options give byte-identical files; another seed gives another city', async () => {
    const options = { scale: 'demo', years: 1, seed: 11 } as const
    const first = await generateCity({ ...options, out: path.join(dir, 'a') })
    await generateCity({ ...options, out: path.join(dir, 'b') })
    const a = await hashes(path.join(dir, 'a'))
    const b = await hashes(path.join(dir, 'b'))
    expect(a.size).toBe(first.files)
    expect(a.size).toBeGreaterThan(2000)
    expect([...b.keys()]).toEqual([...a.keys()])
    expect([...a.entries()].filter(([file, hash]) => b.get(file) !== hash)).toEqual([])

    await generateCity({ ...options, seed: 12, out: path.join(dir, 'c') })
    const c = await hashes(path.join(dir, 'c'))
    expect(c.get('register.geojson')).not.toBe(a.get('register.geojson'))
    expect(c.get('truth.json')).not.toBe(a.get('truth.json'))
    const changed = [...a.keys()].filter((file) => file.startsWith('drops/') && c.get(file) !== a.get(file))
    expect(changed.length / a.size).toBeGreaterThan(0.9)
    // only the harm weights and the population are the same
    expect(c.get('weights.csv')).toBe(a.get('weights.csv'))
    expect(c.get('population.csv')).toBe(a.get('population.csv'))
  }, 120_000)

  it('pings draw from their own streams: without them every other file but truth.json is the same', async () => {
    const withPings = await hashes(path.join(dir, 'a'))
    const pings = [...withPings.keys()].filter((file) => file.startsWith('drops/patrol_pings/'))
    expect(pings).toHaveLength(28)
    expect(pings[0]).toBe('drops/patrol_pings/2026-10-19.csv')
    await generateCity({ scale: 'demo', years: 1, seed: 11, pingDays: 0, out: path.join(dir, 'no-pings') })
    const without = await hashes(path.join(dir, 'no-pings'))
    const others = (hashes: Map<string, string>) =>
      [...hashes].filter(([file]) => file !== 'truth.json' && !pings.includes(file))
    expect(others(without)).toEqual(others(withPings))
    expect([...without.keys()].filter((file) => file.startsWith('drops/patrol_pings/'))).toEqual([])
  }, 60_000)

  it('the command refuses to mix with earlier drops unless forced, and then writes the same bytes', async () => {
    const out = path.join(dir, 'a')
    const before = await hashes(out)
    await expect(runGenerateCommand({ scale: 'demo', years: '1', seed: '11', out })).rejects.toThrow(
      /already holds drops/,
    )
    const summary = await runGenerateCommand({ scale: 'demo', years: '1', seed: '11', out, force: true })
    expect(await hashes(out)).toEqual(before)
    expect(summary).toMatchObject({ scale: 'demo', seed: 11, years: 1, end_date: '2026-11-15', days: 364 })
    expect(summary.start_date).toBe('2025-11-17')
    expect(describeGenerateSummary(summary)).toMatch(
      /^generated demo city \(seed 11\) in .*2025-11-17 to 2026-11-15/,
    )
  }, 60_000)

  it('checks its options and ends the data on the Sunday on or before --end-date', async () => {
    const out = path.join(dir, 'options')
    await expect(runGenerateCommand({ scale: 'paris', out })).rejects.toThrow(
      /--scale must be one of demo, london/,
    )
    await expect(runGenerateCommand({ scale: 'demo', years: '1.5', out })).rejects.toThrow(/--years/)
    await expect(runGenerateCommand({ scale: 'demo', years: '0', out })).rejects.toThrow(/--years/)
    await expect(runGenerateCommand({ scale: 'demo', seed: '-3', out })).rejects.toThrow(/--seed/)
    await expect(runGenerateCommand({ scale: 'demo', years: 1, pingDays: '1.5', out })).rejects.toThrow(
      /--ping-days must be a whole number/,
    )
    await expect(runGenerateCommand({ scale: 'demo', years: 1, pingDays: 365, out })).rejects.toThrow(
      /--ping-days must be a whole number from 0 to the 364 days generated, not 365/,
    )
    await expect(runGenerateCommand({ scale: 'demo', years: 1, endDate: '2026-13-01', out })).rejects.toThrow(
      /not a date/,
    )
    const summary = await runGenerateCommand({ scale: 'demo', years: 1, endDate: '2026-06-03', out })
    expect(summary.end_date).toBe('2026-05-31')
    const truth = JSON.parse(readFileSync(path.join(out, 'truth.json'), 'utf8'))
    expect(truth.dates.end).toBe('2026-05-31')
  }, 60_000)
})
