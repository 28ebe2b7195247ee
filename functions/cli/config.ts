import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { accuracyLimitM, ConfigError, parseEnv, pseudonymKeyText } from '../core/config.ts'
import { DEFAULT_PING_ACCURACY_LIMIT_M } from '../core/contracts/feeds.ts'
import type { PseudonymKey } from '../core/ingest/pseudonym.ts'

/** Where the CLI finds the pseudonymisation key: named in the reason a pseudonymised drop is refused without one. */
export const PSEUDONYM_KEY_SETTINGS = 'HOTSPOT_PSEUDONYM_KEY or HOTSPOT_PSEUDONYM_KEY_FILE'

const ingestEnv = z.object({
  /** The key itself, in hex. */
  HOTSPOT_PSEUDONYM_KEY: pseudonymKeyText.optional(),
  /** A file holding the key, in hex. */
  HOTSPOT_PSEUDONYM_KEY_FILE: z.string().min(1).optional(),
  HOTSPOT_PING_ACCURACY_LIMIT_M: accuracyLimitM.optional(),
})

export interface IngestSettings {
  /** Undefined when none is configured: drops of pseudonymised feeds are then refused, the others ingested. */
  pseudonymKey: PseudonymKey | undefined
  accuracyLimitM: number
}

/** The ingest's settings from the environment, parsed once when the command starts. */
export function ingestSettings(env: Record<string, string | undefined>): IngestSettings {
  const parsed = parseEnv(ingestEnv, env, 'hotspot ingest')
  if (parsed.HOTSPOT_PSEUDONYM_KEY && parsed.HOTSPOT_PSEUDONYM_KEY_FILE) {
    throw new ConfigError('hotspot ingest', [
      'HOTSPOT_PSEUDONYM_KEY and HOTSPOT_PSEUDONYM_KEY_FILE are both set: set one',
    ])
  }
  return {
    pseudonymKey:
      parsed.HOTSPOT_PSEUDONYM_KEY ??
      (parsed.HOTSPOT_PSEUDONYM_KEY_FILE === undefined
        ? undefined
        : keyFromFile(parsed.HOTSPOT_PSEUDONYM_KEY_FILE)),
    accuracyLimitM: parsed.HOTSPOT_PING_ACCURACY_LIMIT_M ?? DEFAULT_PING_ACCURACY_LIMIT_M,
  }
}

function keyFromFile(file: string): PseudonymKey {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new ConfigError('hotspot ingest', [
      `HOTSPOT_PSEUDONYM_KEY_FILE: ${JSON.stringify(file)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    ])
  }
  const parsed = pseudonymKeyText.safeParse(text)
  if (parsed.success) return parsed.data
  throw new ConfigError('hotspot ingest', [
    `HOTSPOT_PSEUDONYM_KEY_FILE: ${JSON.stringify(file)} ${parsed.error.issues[0]?.message}`,
  ])
}

const engineEnv = z.object({
  /** The most memory DuckDB's buffers take before spilling (duckdb-lake.ts DEFAULT_DUCKDB_MEMORY_LIMIT). */
  HOTSPOT_DUCKDB_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'is not a size such as 600MB or 2GB')
    .optional(),
})

export interface EngineSettings {
  /** Undefined: the lake's default. */
  duckdbMemoryLimit: string | undefined
}

/** The local engine's settings from the environment, parsed once when a command that runs marts starts. */
export function engineSettings(env: Record<string, string | undefined>): EngineSettings {
  return { duckdbMemoryLimit: parseEnv(engineEnv, env, 'hotspot run').HOTSPOT_DUCKDB_MEMORY_LIMIT }
}
