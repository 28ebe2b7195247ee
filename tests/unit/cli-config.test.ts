import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { engineSettings, ingestSettings } from '../../functions/cli/config.ts'
import { ConfigError } from '../../functions/core/config.ts'
import { PseudonymKey } from '../../functions/core/ingest/pseudonym.ts'

/** The setting's failure: a ConfigError, and its message holds no part of the key given. */
function refusal(env: Record<string, string>, secret: string): string {
  let caught: unknown
  try {
    ingestSettings(env)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(ConfigError)
  const message = (caught as Error).message
  expect(message).not.toContain(secret.trim().slice(0, 16))
  return message
}

describe('hotspot ingest settings (the pseudonymisation key, the accuracy limit)', () => {
  let dir: string
  const hex = randomBytes(32).toString('hex')
  const idOf = (keyHex: string) => new PseudonymKey(Buffer.from(keyHex, 'hex')).id
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hotspot-cli-config-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('takes the key from HOTSPOT_PSEUDONYM_KEY (hex, either case, edge whitespace ignored)', () => {
    expect(ingestSettings({ HOTSPOT_PSEUDONYM_KEY: hex }).pseudonymKey?.id).toBe(idOf(hex))
    expect(ingestSettings({ HOTSPOT_PSEUDONYM_KEY: ` ${hex.toUpperCase()}\n` }).pseudonymKey?.id).toBe(
      idOf(hex),
    )
    const longer = randomBytes(64).toString('hex')
    expect(ingestSettings({ HOTSPOT_PSEUDONYM_KEY: longer }).pseudonymKey?.id).toBe(idOf(longer))
  })

  it('takes the key from the file HOTSPOT_PSEUDONYM_KEY_FILE names', async () => {
    const file = path.join(dir, 'pseudonym.key')
    await writeFile(file, `${hex}\n`)
    expect(ingestSettings({ HOTSPOT_PSEUDONYM_KEY_FILE: file }).pseudonymKey?.id).toBe(idOf(hex))
  })

  it('refuses a key shorter than 32 bytes, or not hex, without showing it', async () => {
    const short = hex.slice(0, 62)
    expect(refusal({ HOTSPOT_PSEUDONYM_KEY: short }, short)).toBe(
      'hotspot ingest: invalid configuration: HOTSPOT_PSEUDONYM_KEY: is not a key of at least 64 hex digits ' +
        '(32 bytes): make one with `openssl rand -hex 32`',
    )
    const base64 = randomBytes(48).toString('base64')
    expect(refusal({ HOTSPOT_PSEUDONYM_KEY: base64 }, base64)).toMatch(/HOTSPOT_PSEUDONYM_KEY: is not a key/)
    const odd = `${hex}a`
    expect(refusal({ HOTSPOT_PSEUDONYM_KEY: odd }, odd)).toMatch(/HOTSPOT_PSEUDONYM_KEY: is not a key/)
    const file = path.join(dir, 'short.key')
    await writeFile(file, `${short}\n`)
    expect(refusal({ HOTSPOT_PSEUDONYM_KEY_FILE: file }, short)).toBe(
      `hotspot ingest: invalid configuration: HOTSPOT_PSEUDONYM_KEY_FILE: ${JSON.stringify(file)} is not a key ` +
        'of at least 64 hex digits (32 bytes): make one with `openssl rand -hex 32`',
    )
    const missing = path.join(dir, 'missing.key')
    expect(refusal({ HOTSPOT_PSEUDONYM_KEY_FILE: missing }, hex)).toBe(
      `hotspot ingest: invalid configuration: HOTSPOT_PSEUDONYM_KEY_FILE: ${JSON.stringify(missing)} cannot be read (ENOENT)`,
    )
  })

  it('refuses both settings at once', async () => {
    const file = path.join(dir, 'pseudonym.key')
    await writeFile(file, hex)
    expect(refusal({ HOTSPOT_PSEUDONYM_KEY: hex, HOTSPOT_PSEUDONYM_KEY_FILE: file }, hex)).toBe(
      'hotspot ingest: invalid configuration: HOTSPOT_PSEUDONYM_KEY and HOTSPOT_PSEUDONYM_KEY_FILE are both set: set one',
    )
  })

  it('has no key when neither is set, and the default accuracy limit of 50 m', () => {
    expect(ingestSettings({})).toEqual({ pseudonymKey: undefined, accuracyLimitM: 50 })
  })

  it('takes a positive accuracy limit from HOTSPOT_PING_ACCURACY_LIMIT_M, and refuses any other', () => {
    expect(ingestSettings({ HOTSPOT_PING_ACCURACY_LIMIT_M: '25.5' }).accuracyLimitM).toBe(25.5)
    for (const bad of ['0', '-5', 'fifty', 'Infinity']) {
      expect(() => ingestSettings({ HOTSPOT_PING_ACCURACY_LIMIT_M: bad })).toThrow(
        /HOTSPOT_PING_ACCURACY_LIMIT_M: is not a (positive |finite )?number of metres/,
      )
    }
  })
})

describe('hotspot run settings (the local engine)', () => {
  it("takes DuckDB's memory limit from HOTSPOT_DUCKDB_MEMORY_LIMIT as a size, none by default", () => {
    expect(engineSettings({})).toEqual({ duckdbMemoryLimit: undefined })
    expect(engineSettings({ HOTSPOT_DUCKDB_MEMORY_LIMIT: '2GB' }).duckdbMemoryLimit).toBe('2GB')
    for (const bad of ['lots', '600', '-1GB'])
      expect(() => engineSettings({ HOTSPOT_DUCKDB_MEMORY_LIMIT: bad })).toThrow(
        /HOTSPOT_DUCKDB_MEMORY_LIMIT: is not a size such as 600MB or 2GB/,
      )
  })
})
