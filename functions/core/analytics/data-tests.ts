/**
 * Data tests in the dbt sense: checks on a mart's results, not on its SQL. The grain key of a mart's header
 * (`-- grain key: hotspot_id, week_start`) names the columns that tell its rows apart: in the results they are
 * never null, and no two rows share their values.
 */

export interface GrainViolation {
  /** `null`: a grain column is null in the row; `duplicate`: several rows share the key. */
  problem: 'null' | 'duplicate'
  /** The offending key, column by column, as the rows hold it. */
  key: Record<string, unknown>
  /** How many rows hold that key. */
  rows: number
}

export class MartGrainError extends Error {
  override name = 'MartGrainError'
}

/** The keys of `rows` that break the grain `grainKey`: each null key and each duplicated one, once. */
export function grainViolations(
  grainKey: readonly string[],
  rows: readonly Readonly<Record<string, unknown>>[],
): GrainViolation[] {
  const counts = new Map<string, { key: Record<string, unknown>; rows: number; hasNull: boolean }>()
  for (const row of rows) {
    const values = grainKey.map((column) => row[column] ?? null)
    const id = JSON.stringify(values)
    const seen = counts.get(id)
    if (seen) seen.rows++
    else
      counts.set(id, {
        key: Object.fromEntries(grainKey.map((column, i) => [column, values[i]])),
        rows: 1,
        hasNull: values.includes(null),
      })
  }
  const violations: GrainViolation[] = []
  for (const { key, rows: n, hasNull } of counts.values()) {
    if (hasNull) violations.push({ problem: 'null', key, rows: n })
    if (n > 1) violations.push({ problem: 'duplicate', key, rows: n })
  }
  return violations
}

/** How many offending keys an error names: enough to find the cause, short enough to read in a log. */
const NAMED_VIOLATIONS = 5

/** Throws MartGrainError naming the offending keys when `rows` break the mart's grain. */
export function assertGrain(
  mart: string,
  grainKey: readonly string[],
  rows: readonly Readonly<Record<string, unknown>>[],
): void {
  const violations = grainViolations(grainKey, rows)
  if (violations.length === 0) return
  const named = violations
    .slice(0, NAMED_VIOLATIONS)
    .map((v) => `${v.problem === 'null' ? 'a null in' : `${v.rows} rows with`} ${JSON.stringify(v.key)}`)
  const more =
    violations.length > NAMED_VIOLATIONS ? `, and ${violations.length - NAMED_VIOLATIONS} more` : ''
  throw new MartGrainError(
    `${mart}: the results break the grain (${grainKey.join(', ')}): ${named.join('; ')}${more}`,
  )
}
