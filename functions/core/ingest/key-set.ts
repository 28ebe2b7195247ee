import type { Column } from '../contracts/columns.ts'
import type { PackedColumn, PackedRows } from '../parquet/row-group.ts'

const EMPTY = 0

/** 32-bit FNV-1a over a string's UTF-16 code units. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/**
 * A set of strings held in typed arrays, outside the JavaScript heap: the record keys a drop has shown so far.
 * A `Set` of a million keys is about 50 MB of small heap objects that live as long as the drop does, and V8 lets
 * the heap grow to a few times what survives its collections, so those keys alone cost about 200 MB of
 * resident memory; here they are about 40 MB that the collector never scans.
 *
 * Exact, like a `Set`: keys are compared code unit by code unit whenever their hashes meet.
 */
export class KeySet {
  /** The keys' UTF-16 code units, end to end. */
  private units = new Uint16Array(1 << 16)
  private unitsUsed = 0
  /** Key i is `units[starts[i] .. starts[i + 1])`. */
  private starts = new Uint32Array(1 << 12)
  private hashes = new Uint32Array(1 << 12)
  /** Open addressing, linear probing: key index + 1, or EMPTY. Never more than half full. */
  private slots = new Int32Array(1 << 13)
  size = 0

  /** Adds `key`, answering true when it is new, false when the set already held it. */
  add(key: string): boolean {
    const hash = hashOf(key)
    const mask = this.slots.length - 1
    let slot = hash & mask
    for (;;) {
      const entry = this.slots[slot] as number
      if (entry === EMPTY) break
      if (this.hashes[entry - 1] === hash && this.equals(entry - 1, key)) return false
      slot = (slot + 1) & mask
    }
    this.store(key, hash)
    this.slots[slot] = this.size
    if (this.size * 2 > this.slots.length) this.rehash()
    return true
  }

  private equals(index: number, key: string): boolean {
    const start = this.starts[index] as number
    const end = index + 1 < this.size ? (this.starts[index + 1] as number) : this.unitsUsed
    if (end - start !== key.length) return false
    for (let i = 0; i < key.length; i++) if (this.units[start + i] !== key.charCodeAt(i)) return false
    return true
  }

  /** Appends the key as entry `size` and counts it. */
  private store(key: string, hash: number): void {
    if (this.unitsUsed + key.length > this.units.length) {
      this.units = grown(this.units, this.unitsUsed + key.length)
    }
    if (this.size === this.starts.length) {
      this.starts = grown(this.starts, this.size + 1)
      this.hashes = grown(this.hashes, this.size + 1)
    }
    const at = this.unitsUsed
    for (let i = 0; i < key.length; i++) this.units[at + i] = key.charCodeAt(i)
    this.unitsUsed += key.length
    this.starts[this.size] = at
    this.hashes[this.size] = hash
    this.size++
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2)
    const mask = slots.length - 1
    for (let index = 0; index < this.size; index++) {
      let slot = (this.hashes[index] as number) & mask
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask
      slots[slot] = index + 1
    }
    this.slots = slots
  }
}

function grown<T extends Uint16Array | Uint32Array>(array: T, needed: number): T {
  let length = array.length * 2
  while (length < needed) length *= 2
  const bigger = new (array.constructor as new (length: number) => T)(length)
  bigger.set(array)
  return bigger
}

/** Joins the values of several columns into one string: a key (`row[k]` joined; an absent value is ''), a row's content. */
export const KEY_SEPARATOR = '\u001f'

/**
 * A key as the stored text reads it back, which is how `RepeatedKeys` finds it: UTF-8 cannot hold a lone
 * surrogate (a JSON Lines drop can deliver one), and it is stored as U+FFFD.
 */
export function storedKey(key: string): string {
  return (key as string & { toWellFormed(): string }).toWellFormed()
}

/**
 * Finds the keys a drop's rows repeat, from the chunks of rows on their way to the Parquet writer (on the
 * writer thread, which has time to spare, rather than the thread that reads and validates). A row whose key was
 * derived from its content (`key_derived`) is not a record of its own and is never a repeat.
 */
export class RepeatedKeys {
  private readonly seen = new KeySet()
  readonly repeats = new Set<string>()
  private readonly keyIndexes: number[]
  private readonly derivedIndex: number
  // a key may well begin with U+FEFF, which a decoder would otherwise take for a byte-order mark and drop
  private readonly text = new TextDecoder('utf-8', { ignoreBOM: true })

  constructor(columns: readonly Column[], keyColumns: readonly string[]) {
    this.keyIndexes = keyColumns.map((name) => indexOfColumn(columns, name))
    this.derivedIndex = indexOfColumn(columns, 'key_derived')
  }

  observe(chunk: PackedRows): void {
    const derived = chunk.columns[this.derivedIndex] as Extract<PackedColumn, { kind: 'boolean' }>
    for (let row = 0; row < chunk.rows; row++) {
      if (derived.codes[row] === 2) continue
      const key =
        this.keyIndexes.length === 1
          ? this.valueOf(chunk.columns[this.keyIndexes[0] as number] as PackedColumn, row)
          : this.keyIndexes
              .map((i) => this.valueOf(chunk.columns[i] as PackedColumn, row))
              .join(KEY_SEPARATOR)
      if (!this.seen.add(key)) this.repeats.add(key)
    }
  }

  /** The value `row[name]` held before it was packed, as text (String(value); absent: ''). */
  private valueOf(column: PackedColumn, row: number): string {
    if (column.kind === 'string') {
      return column.present[row]
        ? this.text.decode(column.bytes.subarray(column.offsets[row], column.offsets[row + 1]))
        : ''
    }
    if (column.kind === 'number') return column.present[row] ? String(column.values[row]) : ''
    return column.codes[row] === 0 ? '' : String(column.codes[row] === 2)
  }
}

function indexOfColumn(columns: readonly Column[], name: string): number {
  const index = columns.findIndex((c) => c.name === name)
  if (index < 0) throw new Error(`no column ${name} among ${columns.map((c) => c.name).join(', ')}`)
  return index
}
