import { z } from 'zod'
import { referenceKey } from '../lake.ts'
import { type Clock, type ObjectStore, systemClock } from '../ports.ts'
import { decodeUtf8, fieldName, issueReason, parseJson, ReferenceDataError } from './errors.ts'
import { emailAddress, identifier, singleLineText } from './fields.ts'
import { latestReference, loadOnce, type ReferenceLoadResult } from './manifest.ts'
import { areaRole, type Register, readRegister } from './register.ts'

/** Version of the recipients file contract below. */
export const RECIPIENTS_VERSION = 1

/**
 * Who the reports go to. Addresses come only from this file, never from data (DESIGN section 3). Objects are
 * strict so that a misspelt key (`reply-to`) is an error rather than a silently missing setting.
 */
export const recipientsSchema = z
  .strictObject({
    sender: z.strictObject({ name: singleLineText.optional(), email: emailAddress }),
    reply_to: emailAddress.optional(),
    commanders: z.array(
      z.strictObject({
        id: identifier,
        name: singleLineText,
        email: emailAddress,
        hotspot_ids: z.array(identifier).min(1, 'a commander needs at least one hotspot'),
      }),
    ),
    funders: z.array(z.strictObject({ name: singleLineText, email: emailAddress })),
  })
  .superRefine((recipients, ctx) => {
    const reportDuplicates = (list: 'commanders' | 'funders', field: string, values: string[]) => {
      const firstIndex = new Map<string, number>()
      values.forEach((value, i) => {
        const earlier = firstIndex.get(value)
        if (earlier === undefined) firstIndex.set(value, i)
        else
          ctx.addIssue({
            code: 'custom',
            path: [list, i, field],
            message: `duplicate of ${list}[${earlier}]`,
          })
      })
    }
    // ids name the ledger, archive and outbox files: two that differ only in case or Unicode form (É composed
    // or not) are one file on a case-insensitive disk, and the second commander would be taken as already sent
    reportDuplicates(
      'commanders',
      'id',
      recipients.commanders.map((commander) => commander.id.normalize('NFC').toLowerCase()),
    )
    // addresses compare without case: Inspector@Force.police.uk and inspector@force.police.uk are one mailbox
    reportDuplicates(
      'commanders',
      'email',
      recipients.commanders.map((commander) => commander.email.toLowerCase()),
    )
    reportDuplicates(
      'funders',
      'email',
      recipients.funders.map((funder) => funder.email.toLowerCase()),
    )
    recipients.commanders.forEach((commander, c) => {
      commander.hotspot_ids.forEach((id, h) => {
        if (commander.hotspot_ids.indexOf(id) !== h) {
          ctx.addIssue({
            code: 'custom',
            path: ['commanders', c, 'hotspot_ids', h],
            message: `${id} is listed twice`,
          })
        }
      })
    })
  })

export type Recipients = z.output<typeof recipientsSchema>

export function parseRecipients(text: string, file: string): Recipients {
  const parsed = recipientsSchema.safeParse(parseJson(text, file), { reportInput: true })
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0] as z.core.$ZodIssue
  const location = issue.path.length > 0 ? [fieldName(issue.path)] : []
  throw new ReferenceDataError(file, location, issueReason(issue, parsed.error.issues.length))
}

export interface RegisterMismatch {
  /** `error`: a commander would get a scorecard for an area that is not one of the register's hotspots. */
  severity: 'error' | 'warning'
  field: string
  reason: string
}

/**
 * Compares the commanders' hotspot_ids with a register. Errors: an id the register does not have, or one of its
 * control areas. Warnings: a hotspot that no commander receives, or one that the register gives to a commander
 * who does not receive it here.
 */
export function checkRecipientsAgainstRegister(
  recipients: Recipients,
  register: Register,
): RegisterMismatch[] {
  const mismatches: RegisterMismatch[] = []
  const areas = new Map(register.features.map((feature) => [feature.properties.hotspot_id, feature]))
  recipients.commanders.forEach((commander, c) => {
    commander.hotspot_ids.forEach((id, h) => {
      const area = areas.get(id)
      const field = `commanders[${c}].hotspot_ids[${h}]`
      if (area === undefined)
        mismatches.push({ severity: 'error', field, reason: `${id} is not in the register` })
      else if (areaRole(area) === 'control') {
        mismatches.push({
          severity: 'error',
          field,
          reason: `${id} is a control area in the register, not a hotspot`,
        })
      }
    })
  })
  for (const area of register.features) {
    if (areaRole(area) === 'control') continue
    const { hotspot_id: id, commander_id: registerCommander } = area.properties
    const receivers = recipients.commanders.filter((commander) => commander.hotspot_ids.includes(id))
    if (receivers.length === 0) {
      mismatches.push({
        severity: 'warning',
        field: 'commanders',
        reason: `hotspot ${id} is in no commander's hotspot_ids, so nobody receives its scorecard`,
      })
    } else if (!receivers.some((commander) => commander.id === registerCommander)) {
      mismatches.push({
        severity: 'warning',
        field: 'commanders',
        reason: `the register gives hotspot ${id} to ${registerCommander}, who does not receive it here`,
      })
    }
  }
  return mismatches
}

/**
 * Loads a recipients file to `reference/recipients/<version>.json` (as given). When a register is loaded, the
 * commanders' hotspot_ids are checked against the latest one: a mismatch that is an error stops the load, and
 * warnings are reported in the summary.
 */
export function loadRecipients(
  store: ObjectStore,
  file: string,
  clock: Clock = systemClock,
): Promise<ReferenceLoadResult> {
  return loadOnce({
    store,
    clock,
    kind: 'recipients',
    file,
    prepare: async ({ bytes, text, version }) => {
      const recipients = parseRecipients(text, file)
      const register = await latestReference(store, 'register')
      const mismatches = register
        ? checkRecipientsAgainstRegister(recipients, await readRegister(store, register.version))
        : []
      const error = mismatches.find((mismatch) => mismatch.severity === 'error')
      if (error) {
        throw new ReferenceDataError(
          file,
          [error.field],
          `${error.reason} (latest register ${register?.version}); load the register that has it first`,
        )
      }
      const warnings = mismatches.map((mismatch) => mismatch.reason)
      return {
        schemaVersion: RECIPIENTS_VERSION,
        objects: [
          {
            key: referenceKey('recipients', version, 'json'),
            body: bytes,
            contentType: 'application/json',
          },
        ],
        summary: {
          commanders: recipients.commanders.length,
          funders: recipients.funders.length,
          hotspots: new Set(recipients.commanders.flatMap((commander) => commander.hotspot_ids)).size,
          checked_against_register: register?.version ?? 'none',
          ...(warnings.length > 0 ? { warnings: warnings.join('; ') } : {}),
        },
      }
    },
  })
}

/** A loaded recipients file, read back from the lake (the reports' only source of addresses). */
export async function readRecipients(store: ObjectStore, version: string): Promise<Recipients> {
  const key = referenceKey('recipients', version, 'json')
  return parseRecipients(decodeUtf8(await store.getBytes(key), key), key)
}
