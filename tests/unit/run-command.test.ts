import { describe, expect, it } from 'vitest'
import { describeStaging } from '../../functions/cli/run-command.ts'

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
