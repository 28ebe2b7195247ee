/**
 * Seeded pseudo-random numbers for the synthetic city: sfc32 (Chris Doty-Humphrey's small fast counting
 * generator) seeded through splitmix32. Every stream is derived from (seed, stream name, index), so a day's
 * draws do not depend on how many numbers an earlier day used, and the same options give the same bytes.
 */

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) | 0
  let z = next
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  z ^= z >>> 16
  return [z >>> 0, next]
}

/** FNV-1a of a string, for naming streams. */
function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export class Random {
  private a: number
  private b: number
  private c: number
  private d: number

  /** A stream for `(seed, name, index)`: independent of every other name and index. */
  constructor(seed: number, name: string, index = 0) {
    let state = (Math.imul(seed | 0, 0x27d4eb2d) ^ hashString(name) ^ Math.imul(index | 0, 0x165667b1)) | 0
    const words: number[] = []
    for (let i = 0; i < 4; i++) {
      const [value, next] = splitmix32(state)
      words.push(value)
      state = next
    }
    ;[this.a, this.b, this.c, this.d] = words as [number, number, number, number]
    // warm up: the first outputs of sfc32 are correlated with the seed words
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4_294_967_296
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** Integer uniform in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Standard normal (Box-Muller; one value per call, for reproducibility). */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Log-normal with median 1: exp(sigma * Z). */
  logNormal(sigma: number): number {
    return Math.exp(sigma * this.normal())
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next())
  }

  /** Geometric on 1, 2, 3, ... with the given mean (>= 1). */
  geometric(mean: number): number {
    const p = 1 / mean
    return p >= 1 ? 1 : 1 + Math.floor(Math.log(1 - this.next()) / Math.log(1 - p))
  }

  /** Poisson: multiplication for small means, PTRS (Hoermann 1993) transformed rejection above 10. */
  poisson(mean: number): number {
    if (mean <= 0) return 0
    if (mean < 10) {
      const limit = Math.exp(-mean)
      let k = 0
      let product = this.next()
      while (product > limit) {
        k++
        product *= this.next()
      }
      return k
    }
    const logMean = Math.log(mean)
    const b = 0.931 + 2.53 * Math.sqrt(mean)
    const a = -0.059 + 0.02483 * b
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4)
    const vr = 0.9277 - 3.6224 / (b - 2)
    for (;;) {
      const u = this.next() - 0.5
      const v = this.next()
      const us = 0.5 - Math.abs(u)
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43)
      if (us >= 0.07 && v <= vr) return k
      if (k < 0 || (us < 0.013 && v > us)) continue
      if (
        Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <=
        -mean + k * logMean - logGamma(k + 1)
      )
        return k
    }
  }

  /** k distinct indices of 0..n-1, in ascending order (partial Fisher-Yates). */
  sample(n: number, k: number): number[] {
    const items = Array.from({ length: n }, (_, i) => i)
    for (let i = 0; i < Math.min(k, n); i++) {
      const j = i + Math.floor(this.next() * (n - i))
      ;[items[i], items[j]] = [items[j] as number, items[i] as number]
    }
    return items.slice(0, k).sort((x, y) => x - y)
  }
}

/** log(Gamma(x)) by Stirling's series with a shift (accurate to ~1e-10 for x >= 1). */
function logGamma(x: number): number {
  let shift = 0
  let z = x
  while (z < 7) {
    shift -= Math.log(z)
    z += 1
  }
  const z2 = 1 / (z * z)
  const series = (((-1 / 1680) * z2 + 1 / 1260) * z2 - 1 / 360) * z2 + 1 / 12
  return shift + (z - 0.5) * Math.log(z) - z + 0.5 * Math.log(2 * Math.PI) + series / z
}

/** Walker's alias table: O(1) draws from a fixed discrete distribution. */
export class AliasTable {
  private readonly probability: Float64Array
  private readonly alias: Int32Array
  readonly size: number

  constructor(weights: ArrayLike<number>) {
    const n = weights.length
    this.size = n
    this.probability = new Float64Array(n)
    this.alias = new Int32Array(n)
    let total = 0
    for (let i = 0; i < n; i++) total += weights[i] as number
    if (!(total > 0)) throw new Error('alias table needs a positive total weight')
    const scaled = new Float64Array(n)
    const small: number[] = []
    const large: number[] = []
    for (let i = 0; i < n; i++) {
      scaled[i] = ((weights[i] as number) * n) / total
      ;((scaled[i] as number) < 1 ? small : large).push(i)
    }
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number
      const l = large.pop() as number
      this.probability[s] = scaled[s] as number
      this.alias[s] = l
      scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1
      ;((scaled[l] as number) < 1 ? small : large).push(l)
    }
    for (const i of [...small, ...large]) {
      this.probability[i] = 1
      this.alias[i] = i
    }
  }

  draw(random: Random): number {
    const u = random.next() * this.size
    const i = Math.floor(u)
    return u - i < (this.probability[i] as number) ? i : (this.alias[i] as number)
  }
}

/** A categorical distribution over labelled values. */
export class Categorical<T> {
  private readonly table: AliasTable
  constructor(
    readonly values: readonly T[],
    readonly weights: readonly number[],
  ) {
    this.table = new AliasTable(weights)
  }

  static of<T extends string>(entries: Readonly<Record<T, number>>): Categorical<T> {
    const keys = Object.keys(entries) as T[]
    return new Categorical(
      keys,
      keys.map((k) => entries[k]),
    )
  }

  draw(random: Random): T {
    return this.values[this.table.draw(random)] as T
  }
}
