import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

/** A shorter key would weaken HMAC-SHA256 below its 256-bit strength. */
export const PSEUDONYM_KEY_MIN_BYTES = 32

/**
 * Hex digits of the HMAC a pseudonym keeps: 80 bits. Among n distinct ids the chance that two share a pseudonym
 * is about n^2 / 2^81: 4e-15 for 100,000 devices, 4e-11 for ten million; short enough to keep the key column
 * of millions of pings small.
 */
export const PSEUDONYM_HEX_DIGITS = 20

/** Hex digits of a key's id: enough to tell a force's keys apart, and nothing about the key. */
const KEY_ID_HEX_DIGITS = 16

/**
 * What the key id is the HMAC of. It starts with a NUL, which no text column accepts (columns.ts), so no raw
 * value's pseudonym can share its digits.
 */
const KEY_ID_MESSAGE = '\u0000hotspot pseudonym key id'

/** Distinct raw values whose pseudonyms a drop remembers: a day's pings come from about a thousand devices. */
const MEMO_LIMIT = 100_000

/**
 * The secret key of the pseudonyms (DESIGN section 3): a device id is stored as `<prefix><first 20 hex digits of
 * HMAC-SHA256(key, id)>`, so that the same device has the same pseudonym in every drop under one key, and
 * nobody without the key can tell which device it is, or test a guess. The key material is held in a KeyObject,
 * which never prints it (in a log line, an error or an inspected object).
 */
export class PseudonymKey {
  private readonly secret: KeyObject
  /** Names the key in manifests (HMAC of a fixed message): tells which key pseudonymised a drop, reveals nothing of it. */
  readonly id: string

  constructor(material: Buffer) {
    if (material.length < PSEUDONYM_KEY_MIN_BYTES) {
      throw new RangeError(
        `a pseudonymisation key holds at least ${PSEUDONYM_KEY_MIN_BYTES} bytes, not ${material.length}`,
      )
    }
    this.secret = createSecretKey(material)
    this.id = this.hex(KEY_ID_MESSAGE).slice(0, KEY_ID_HEX_DIGITS)
  }

  pseudonym(prefix: string, value: string): string {
    return prefix + this.hex(value).slice(0, PSEUDONYM_HEX_DIGITS)
  }

  private hex(message: string): string {
    return createHmac('sha256', this.secret).update(message, 'utf8').digest('hex')
  }
}

/**
 * Replaces a contract's pseudonymised columns (FeedContract.pseudonymised) in rows, remembering each raw value's
 * pseudonym: an HMAC costs more than validating a ping, and a drop repeats its thousand device ids.
 */
export class Pseudonymiser {
  private readonly memo = new Map<string, string>()

  constructor(
    private readonly key: PseudonymKey,
    /** Column name -> the prefix of its pseudonyms. */
    readonly prefixes: Readonly<Record<string, string>>,
  ) {}

  /** The pseudonym of one column's value. */
  pseudonym(column: string, value: string): string {
    const memoKey = `${column}\u0000${value}`
    let pseudonym = this.memo.get(memoKey)
    if (pseudonym === undefined) {
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear()
      pseudonym = this.key.pseudonym(this.prefixes[column] as string, value)
      this.memo.set(memoKey, pseudonym)
    }
    return pseudonym
  }

  /** Replaces the pseudonymised columns of a validated row in place (absent values stay absent). */
  apply(row: Record<string, unknown>): void {
    for (const column in this.prefixes) {
      const value = row[column]
      if (typeof value === 'string') row[column] = this.pseudonym(column, value)
    }
  }
}
