/** What each chart family builds before rendering: its spec and its words, and the names the email gives it. */

import type { TopLevelSpec } from 'vega-lite'
import type { MartRow } from '../model.ts'

export interface ChartParts {
  spec: TopLevelSpec
  alt: string
  cid: string
  filename: string
}

export type ChartKind = 'harm' | 'patrol' | 'heatmap'

/**
 * Content ids: `<kind>-<key>@hotspot`, e.g. `harm-HS-01@hotspot`, `patrol-all@hotspot`, `heatmap@hotspot`. The key
 * (a hotspot id) is kept as is when it is letters, digits, '.' or '-'; any other character becomes `_XX` (its
 * UTF-8 bytes in hex), so the cid is ASCII and distinct keys give distinct cids.
 */
export function chartCid(kind: ChartKind, key?: string): string {
  return key === undefined ? `${kind}@hotspot` : `${kind}-${safeKey(key)}@hotspot`
}

/** The attachment file name of a chart: `<kind>-<key>.png`. */
export function chartFilename(kind: ChartKind, key?: string): string {
  return key === undefined ? `${kind}.png` : `${kind}-${safeKey(key)}.png`
}

function safeKey(key: string): string {
  let out = ''
  for (const ch of key) {
    if (/^[A-Za-z0-9.-]$/.test(ch)) out += ch
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out || '_'
}

/** A mart value as a number: null when it is missing or not a finite number. */
export function martNumber(value: MartRow[string] | undefined): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}
