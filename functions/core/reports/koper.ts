/**
 * Koper's patrol dose as the reports word it: visits of 10 to 16 minutes are compliant, and a hotspot-day with
 * at least 10 minutes of presence reached the target dose (DESIGN sections 7 and 12). The rule lives in
 * queries/shared/shr_koper.sql, which the marts compare with; this copy is for the words around their figures,
 * and tests/unit/koper.test.ts holds it to the SQL.
 */
export const KOPER = {
  /** The shortest compliant visit, and the target dose of presence in a day. */
  minMinutes: 10,
  /** The longest compliant visit. */
  maxMinutes: 16,
} as const
