import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import { fixedClock } from '../../functions/core/ports.ts'
import { loadReference, ReferenceDataError } from '../../functions/core/reference/load.ts'
import {
  checkRecipientsAgainstRegister,
  parseRecipients,
  readRecipients,
  type recipientsSchema,
} from '../../functions/core/reference/recipients.ts'
import { parseRegister } from '../../functions/core/reference/register.ts'
import { REGISTER_FIXTURE_FILE } from '../fixtures/reference/register-fixture.ts'

const RECIPIENTS_FILE = fileURLToPath(new URL('../fixtures/reference/recipients.json', import.meta.url))
const clock = fixedClock('2026-06-01T12:00:00Z')
type RecipientsJson = z.input<typeof recipientsSchema>
const fixture = (): RecipientsJson => JSON.parse(readFileSync(RECIPIENTS_FILE, 'utf8'))
const register = () => parseRegister(readFileSync(REGISTER_FIXTURE_FILE, 'utf8'), 'register.geojson')

let dir: string
let store: FsObjectStore

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotspot-recipients-'))
  store = new FsObjectStore(path.join(dir, 'lake'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** The item at `index`, which the test knows is there. */
function at<T>(items: readonly T[], index: number): T {
  const item = items[index]
  if (item === undefined) throw new Error(`no item ${index}`)
  return item
}

async function recipientsFile(content: unknown): Promise<string> {
  const file = path.join(dir, 'recipients.json')
  await writeFile(file, JSON.stringify(content))
  return file
}

describe('a recipients file', () => {
  it('that is valid loads, is stored as given and reads back', async () => {
    const result = await loadReference(store, 'recipients', RECIPIENTS_FILE, clock)

    expect(result.outcome).toBe('loaded')
    expect(result.version).toMatch(/^[0-9a-f]{16}$/)
    expect(result.keys).toEqual([`reference/recipients/${result.version}.json`])
    expect(await store.getBytes(result.keys[0] as string)).toEqual(readFileSync(RECIPIENTS_FILE))
    expect(result.summary).toEqual({
      commanders: 2,
      funders: 2,
      hotspots: 3,
      checked_against_register: 'none',
    })
    const recipients = await readRecipients(store, result.version)
    expect(recipients.commanders.map((c) => [c.id, c.hotspot_ids])).toEqual([
      ['cmd-01', ['hs-01', 'hs-03']],
      ['cmd-02', ['hs-02']],
    ])
    expect(recipients.reply_to).toBe('analysts@example.police.uk')
    expect((await loadReference(store, 'recipients', RECIPIENTS_FILE, clock)).outcome).toBe('already-loaded')
  })

  type Mutation = (recipients: RecipientsJson) => void
  const bad: [string, Mutation, RegExp][] = [
    [
      'a line feed in a commander name',
      (r) => (at(r.commanders, 0).name = 'Insp. Ada Clarke\nBcc: everyone@example.org'),
      /^recipients\.json: commanders\[0\]\.name: contains a line break \(CR or LF\)/,
    ],
    [
      'a carriage return in the sender name',
      (r) => (r.sender.name = 'Hotspot\rprogramme'),
      /^recipients\.json: sender\.name: contains a line break \(CR or LF\)/,
    ],
    [
      'a CRLF in a funder address',
      (r) => (at(r.funders, 1).email = 'opcc@example.org\r\nBcc: x@example.org'),
      /^recipients\.json: funders\[1\]\.email: contains a line break \(CR or LF\)/,
    ],
    [
      'a bad email address',
      (r) => (at(r.commanders, 1).email = 'sam.oneill(at)example.police.uk'),
      /^recipients\.json: commanders\[1\]\.email: is not a valid email address$/,
    ],
    [
      'a bad reply-to',
      (r) => (r.reply_to = 'analysts@'),
      /^recipients\.json: reply_to: is not a valid email address$/,
    ],
    [
      'a duplicate commander id',
      (r) => (at(r.commanders, 1).id = 'cmd-01'),
      /^recipients\.json: commanders\[1\]\.id: duplicate of commanders\[0\]$/,
    ],
    [
      'a commander id that differs only in case (one ledger file on a case-insensitive disk)',
      (r) => (at(r.commanders, 1).id = 'CMD-01'),
      /^recipients\.json: commanders\[1\]\.id: duplicate of commanders\[0\]$/,
    ],
    [
      'a commander id that differs only in Unicode form (É composed, and E with a combining accent)',
      (r) => {
        at(r.commanders, 0).id = 'CMD-\u00c9'
        at(r.commanders, 1).id = 'CMD-E\u0301'
      },
      /^recipients\.json: commanders\[1\]\.id: duplicate of commanders\[0\]$/,
    ],
    [
      'the same commander address twice, in another case',
      (r) => (at(r.commanders, 1).email = 'Ada.Clarke@Example.Police.UK'),
      /^recipients\.json: commanders\[1\]\.email: duplicate of commanders\[0\]$/,
    ],
    [
      'a duplicate funder address',
      (r) => (at(r.funders, 1).email = 'vru@example.org'),
      /^recipients\.json: funders\[1\]\.email: duplicate of funders\[0\]$/,
    ],
    [
      'a commander without hotspots',
      (r) => (at(r.commanders, 0).hotspot_ids = []),
      /^recipients\.json: commanders\[0\]\.hotspot_ids: a commander needs at least one hotspot$/,
    ],
    [
      'a misspelt key',
      (r) => {
        Object.assign(r, { 'reply-to': r.reply_to })
        delete r.reply_to
      },
      /^recipients\.json: Unrecognized key: "reply-to"$/,
    ],
    [
      'no sender address',
      (r) => Reflect.deleteProperty(r.sender, 'email'),
      /^recipients\.json: sender\.email: required value is missing$/,
    ],
  ]

  it.each(bad)('is refused, naming the field: %s', async (_, mutate, message) => {
    const recipients = fixture()
    mutate(recipients)
    const error = await loadReference(store, 'recipients', await recipientsFile(recipients), clock).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ReferenceDataError)
    expect((error as Error).message.replace(`${dir}${path.sep}`, '')).toMatch(message)
    expect((error as Error).message).not.toMatch(/[\r\n]/)
  })
})

describe('recipients against a register', () => {
  it('agree for the fixtures', () => {
    expect(
      checkRecipientsAgainstRegister(parseRecipients(readFileSync(RECIPIENTS_FILE, 'utf8'), 'r'), register()),
    ).toEqual([])
  })

  it('report unknown ids and control areas as errors, unreceived or reassigned hotspots as warnings', () => {
    const recipients = fixture()
    at(recipients.commanders, 0).hotspot_ids = ['hs-01', 'hs-99', 'ctl-01'] // hs-03 no longer received
    at(recipients.commanders, 1).id = 'cmd-09' // the register gives hs-02 to cmd-02
    expect(
      checkRecipientsAgainstRegister(parseRecipients(JSON.stringify(recipients), 'r'), register()),
    ).toEqual([
      { severity: 'error', field: 'commanders[0].hotspot_ids[1]', reason: 'hs-99 is not in the register' },
      {
        severity: 'error',
        field: 'commanders[0].hotspot_ids[2]',
        reason: 'ctl-01 is a control area in the register, not a hotspot',
      },
      {
        severity: 'warning',
        field: 'commanders',
        reason: 'the register gives hotspot hs-02 to cmd-02, who does not receive it here',
      },
      {
        severity: 'warning',
        field: 'commanders',
        reason: "hotspot hs-03 is in no commander's hotspot_ids, so nobody receives its scorecard",
      },
    ])
  })

  it('are checked on load against the latest register: errors stop the load, warnings go in the summary', async () => {
    const { version: registerVersion } = await loadReference(store, 'register', REGISTER_FIXTURE_FILE, clock)

    const unknown = fixture()
    at(unknown.commanders, 1).hotspot_ids = ['hs-02', 'hs-20']
    await expect(loadReference(store, 'recipients', await recipientsFile(unknown), clock)).rejects.toThrow(
      `recipients.json: commanders[1].hotspot_ids[1]: hs-20 is not in the register (latest register ${registerVersion})`,
    )

    const partial = fixture()
    at(partial.commanders, 0).hotspot_ids = ['hs-01']
    const result = await loadReference(store, 'recipients', await recipientsFile(partial), clock)
    expect(result.summary).toEqual({
      commanders: 2,
      funders: 2,
      hotspots: 2,
      checked_against_register: registerVersion,
      warnings: "hotspot hs-03 is in no commander's hotspot_ids, so nobody receives its scorecard",
    })
  })
})
