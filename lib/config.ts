/**
 * The deployment's configuration: CDK context values (`-c key=value`, or the "context" block of cdk.json),
 * validated with zod when the app is synthesized, so a missing or malformed value stops `cdk synth` with a
 * message naming the key and what it should hold, instead of deploying a pipeline that fails at 07:00 on Monday.
 *
 * Required values have no default. Defaults exist only where any force can live with them (log retention,
 * the records' lock) and are listed in the README's "Deploy to AWS" section. The first drop date is required:
 * defaulting it to the earliest possible date (2000-01-01) would make every feed scan list some 10,000 empty
 * daily prefixes, and any later default would hide older drops from Athena.
 */
import { z } from 'zod'
import { accuracyLimitM } from '../functions/core/config.ts'
import { EARLIEST_MS } from '../functions/core/contracts/columns.ts'
import { DEFAULT_PING_ACCURACY_LIMIT_M } from '../functions/core/contracts/feeds.ts'
import { isDay } from '../functions/core/time/days.ts'

/** Lower-level context keys this app reads (and nothing else: feature flags live in the same context). */
export const CONTEXT_KEYS = [
  'stackName',
  'sender',
  'forceArea',
  'alertEmail',
  'firstDropDate',
  'pseudonymKeyParameter',
  'pingAccuracyLimitM',
  'auditorPrincipalArn',
  'logRetentionDays',
  'logLevel',
  'recordsLockMode',
  'recordsLockDays',
] as const
export type ContextKey = (typeof CONTEXT_KEYS)[number]

/** Values CloudWatch Logs accepts as a retention period, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const

/** Seven years and two leap days: the default hold on archive/ and manifests/ (2557 days). */
export const DEFAULT_RECORDS_LOCK_DAYS = 2557

/**
 * Context for `npm run synth` (`-c example=true`) and the tests: a force that does not exist, with addresses
 * on the reserved example.org domain. A real deployment passes its own values; they override these.
 */
export const EXAMPLE_CONTEXT: Readonly<Record<string, string>> = {
  sender: 'hotspot-reports@example.org',
  alertEmail: 'hotspot-alerts@example.org',
  forceArea: 'Example Constabulary',
  firstDropDate: '2025-01-01',
  pseudonymKeyParameter: '/hotspot/pseudonym-key',
}

const EMAIL =
  /^[^\s@<>()",;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/
const IAM_PRINCIPAL_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:(?:root|(?:role|user)\/[\w+=,.@\-/]+)$/

const email = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .regex(EMAIL, { error: (issue) => `${JSON.stringify(issue.input)} is not an email address (${what})` })

/** The contracts' earliest accepted day (2000-01-01): no drop can be dated before it. */
const EARLIEST_DAY = new Date(EARLIEST_MS).toISOString().slice(0, 10)

/** Context values from the command line are strings; from cdk.json they may be numbers. */
const wholeNumber = z.union([z.number(), z.string().trim().regex(/^\d+$/).transform(Number)], {
  error: (issue) => `${JSON.stringify(issue.input)} is not a whole number`,
})

export const hotspotContext = z.object({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,19}$/, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a usable stack name: a letter, then up to 19 letters, digits or ` +
        'hyphens (it also names the data bucket, `<stack name>-data-<account>-<region>`, in lower case)',
    })
    .optional(),
  sender: email(
    'the From address of every report, exactly as in the recipients file; its address or domain must be a ' +
      'verified SES identity in the account and region (e.g. -c sender=hotspot@force.police.uk)',
  ),
  forceArea: z
    .string({
      error: 'is required: the force, as named in report subjects and headings (e.g. -c forceArea=Essex)',
    })
    .trim()
    .min(2, { error: 'is too short to name a force' })
    .max(100, { error: 'is longer than 100 characters' })
    .regex(/^[^\r\n]*$/, { error: 'must be one line' }),
  alertEmail: email('where alarms are sent (DLQ messages, Lambda errors, SES bounces and complaints)'),
  firstDropDate: z
    .string({
      error:
        "is required: the date of the force's first drop (YYYY-MM-DD, e.g. -c firstDropDate=2024-04-01). " +
        'Partition projection starts there: Athena lists one S3 prefix per projected day in every feed scan, ' +
        'and never sees a drop dated earlier (the ingest refuses one)',
    })
    .trim()
    .superRefine((text, ctx) => {
      if (!isDay(text)) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(text)} is not a date (YYYY-MM-DD): the force's first drop date`,
        })
      } else if (text < EARLIEST_DAY) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(text)} is before ${EARLIEST_DAY}, the earliest date a drop may carry`,
        })
      }
    }),
  pseudonymKeyParameter: z
    .string({
      error:
        'is required: the name of the SecureString SSM parameter holding the key that pseudonymises device ids ' +
        '(64 or more hex digits; e.g. -c pseudonymKeyParameter=/hotspot/pseudonym-key). Create it before deploying: ' +
        'CloudFormation cannot create a SecureString',
    })
    .trim()
    .regex(/^\/?(?!aws|ssm)[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/i, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not an SSM parameter name (letters, digits, _ . - and / between ` +
        'levels; not starting with aws or ssm)',
    }),
  pingAccuracyLimitM: accuracyLimitM.optional(),
  auditorPrincipalArn: z
    .string()
    .trim()
    .regex(IAM_PRINCIPAL_ARN, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not an IAM principal ARN (arn:aws:iam::<account>:root, :role/... or ` +
        ':user/...): who may assume the auditors role',
    })
    .optional(),
  logRetentionDays: wholeNumber
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      error: `must be one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .optional(),
  logLevel: z
    .enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { error: 'must be DEBUG, INFO, WARN or ERROR' })
    .optional(),
  recordsLockMode: z
    .enum(['GOVERNANCE', 'COMPLIANCE'], {
      error:
        'must be GOVERNANCE (default: a principal with s3:BypassGovernanceRetention can still delete) or ' +
        'COMPLIANCE (nobody can delete or shorten the hold, not even the account root, until it ends)',
    })
    .optional(),
  recordsLockDays: wholeNumber
    .refine((days) => days >= 1 && days <= 36_500, { error: 'must be between 1 and 36500 days' })
    .optional(),
})

export interface HotspotConfig {
  readonly stackName: string
  readonly sender: string
  readonly forceArea: string
  readonly alertEmail: string
  /**
   * The force's first drop date (YYYY-MM-DD): the first day of every `dt` and `as_of` partition projection,
   * and the earliest drop date the ingest accepts.
   */
  readonly firstDropDate: string
  /** The SecureString SSM parameter (made out of band) holding the key of the device pseudonyms. */
  readonly pseudonymKeyParameter: string
  /** Pings less accurate than this many metres are flagged (default DEFAULT_PING_ACCURACY_LIMIT_M). */
  readonly pingAccuracyLimitM: number
  /** Who may assume the auditors role; default the account itself (its IAM policies then decide). */
  readonly auditorPrincipalArn: string | undefined
  readonly logRetentionDays: number
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  readonly recordsLock: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days: number }
}

export class ContextError extends Error {
  override name = 'ContextError'
  constructor(readonly problems: string[]) {
    super(
      `Invalid CDK context for the hotspot stack:\n${problems.map((p) => `  - ${p}`).join('\n')}\n` +
        'Pass each value with -c key=value (or set it in the "context" block of cdk.json); ' +
        'see README.md, "Deploy to AWS". `npm run synth` uses example values (-c example=true).',
    )
  }
}

/**
 * Validates the context. `lookup` is `node.tryGetContext`; when `example` is true (or "true"), EXAMPLE_CONTEXT
 * fills the keys not given.
 */
export function parseContext(lookup: (key: string) => unknown): HotspotConfig {
  const example = String(lookup('example') ?? '') === 'true'
  const raw: Record<string, unknown> = {}
  for (const key of CONTEXT_KEYS) {
    const value = lookup(key) ?? (example ? EXAMPLE_CONTEXT[key] : undefined)
    // an empty -c value means "not given"
    if (value !== undefined && value !== null && value !== '') raw[key] = value
  }
  const parsed = hotspotContext.safeParse(raw)
  if (!parsed.success) {
    throw new ContextError(
      parsed.error.issues.map(
        (issue) => `${issue.path.map(String).join('.') || '(context)'}: ${issue.message}`,
      ),
    )
  }
  const c = parsed.data
  return {
    stackName: c.stackName ?? 'Hotspot',
    sender: c.sender,
    forceArea: c.forceArea,
    alertEmail: c.alertEmail,
    firstDropDate: c.firstDropDate,
    pseudonymKeyParameter: c.pseudonymKeyParameter,
    pingAccuracyLimitM: c.pingAccuracyLimitM ?? DEFAULT_PING_ACCURACY_LIMIT_M,
    auditorPrincipalArn: c.auditorPrincipalArn,
    logRetentionDays: c.logRetentionDays ?? 90,
    logLevel: c.logLevel ?? 'INFO',
    recordsLock: {
      mode: c.recordsLockMode ?? 'GOVERNANCE',
      days: c.recordsLockDays ?? DEFAULT_RECORDS_LOCK_DAYS,
    },
  }
}
