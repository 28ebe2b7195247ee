/**
 * Koper's patrol dose (DESIGN sections 7 and 12), said here alone: visits of 10 to 16 minutes are compliant,
 * and a hotspot-day with at least 10 minutes of presence reached the target dose. `npm run generate:sql` writes
 * it into queries/shared/shr_koper.sql, which the marts compare with; the reports word their figures from it.
 */
export const KOPER = {
  /** The shortest compliant visit, and the target dose of presence in a day. */
  minMinutes: 10,
  /** The longest compliant visit. */
  maxMinutes: 16,
} as const

export const KOPER_FILE = 'shared/shr_koper.sql'

/** queries/shared/shr_koper.sql: Koper's minutes as one row, for the marts to compare with. */
export function koperSql(): string {
  return [
    '-- generated from functions/core/contracts/dosage.ts by npm run generate:sql; do not edit',
    `-- grain: one row: Koper's compliant patrol visit length, ${KOPER.minMinutes} to ${KOPER.maxMinutes} minutes inclusive (DESIGN 7), which the`,
    '--   marts compare in milliseconds (min_minutes * 60000 to max_minutes * 60000); min_minutes is also the target',
    '--   dose of presence in a day (dose_response, presence_weekly)',
    '-- parameters: none',
    'select',
    `  ${KOPER.minMinutes} as min_minutes,`,
    `  ${KOPER.maxMinutes} as max_minutes`,
    '',
  ].join('\n')
}
