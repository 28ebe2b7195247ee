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
