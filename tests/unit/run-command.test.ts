import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeStaging, runRunCommand } from '../../functions/cli/run-command.ts'
import { fixedClock } from '../../functions/core/ports.ts'

describe('hotspot run --as-of', () => {
  it('refuses a date after today in London, and writes no results', async () => {
    const lake = await mkdtemp(path.join(tmpdir(), 'hotspot-run-command-'))
    try {
      // 23:00 UTC on 31 July 2026 is already 1 August in London (BST)
      const clock = fixedClock('2026-07-31T23:00:00Z')
      await expect(runRunCommand({ lake, asOf: '2026-08-02', clock })).rejects.toThrow(
        'as of 2026-08-02 is after today (2026-08-01 in London)',
      )
      expect(existsSync(path.join(lake, 'results'))).toBe(false)
    } finally {
      await rm(lake, { recursive: true, force: true })
    }
  })
})

describe('describeStaging: how the staging cache served a run, for the progress lines', () => {
  it('counts the tables by how they were made ready, leaving out what did not happen', () => {
    expect(
      describeStaging(
        new Map([
          ['stg_incidents', 'incremental'],
          ['stg_incident_harm', 'incremental'],
          ['stg_tips', 'reused'],
        ]),
        undefined,
      ),
    ).toBe('staging: 1 reused, 2 updated with new drops')
    expect(describeStaging(new Map([['stg_tips', 'rebuilt']]), undefined)).toBe('staging: 1 rebuilt')
  })

  it('says when staging was built in memory instead, and why', () => {
    expect(describeStaging(new Map(), 'the cache is in use by another run')).toBe(
      'staging: built in memory (the cache is in use by another run)',
    )
  })
})
