import { JSONStringified } from '@aws-lambda-powertools/parser/helpers'
import { S3Schema, SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas'
import { z } from 'zod'

/**
 * The ingest queue's messages: SQS records whose body is an S3 event notification, parsed with Powertools' SQS
 * and S3 schemas, or the test event S3 sends when the notification is configured.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */

const s3EventRecord = S3Schema.shape.Records.element.extend({
  eventName: z.string().startsWith('ObjectCreated:', {
    error: (issue) =>
      `event ${JSON.stringify(issue.input)} is not ObjectCreated:*: only new objects are ingested`,
  }),
  // Powertools' schema takes an IPv4 address only: a drop uploaded through S3's dual-stack endpoint comes
  // with the uploader's IPv6 address, and would be refused
  requestParameters: z.object({
    sourceIPAddress: z.union([z.ipv4(), z.ipv6(), z.literal('s3.amazonaws.com')]),
  }),
})

/** Sent once when a bucket notification is configured; it announces nothing to ingest. */
const s3TestEvent = z.object({
  Service: z.literal('Amazon S3'),
  Event: z.literal('s3:TestEvent'),
  Bucket: z.string().optional(),
})

const s3Notification = S3Schema.extend({
  // absent: what tells a notification from the test event
  Event: z.undefined().optional(),
  Records: z.array(s3EventRecord).min(1),
})

export interface CreatedObject {
  bucket: string
  /** Decoded: the object's real key. */
  key: string
  eventName: string
  size?: number
  /** The version the event announces (versioned buckets): the bytes to ingest, even if the key is overwritten. */
  versionId?: string
}

export type S3Notification = { kind: 'test'; bucket?: string } | { kind: 'created'; objects: CreatedObject[] }

export class InvalidNotificationError extends Error {
  override name = 'InvalidNotificationError'
}

/**
 * Object keys in S3 event notifications are URL-encoded as in an HTML form: a space is `+` and a real `+`
 * is `%2B` (so `drop+one.csv` is delivered as `drop%2Bone.csv`, and `drop one.csv` as `drop+one.csv`).
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '))
  } catch {
    throw new InvalidNotificationError(
      `object key ${JSON.stringify(encoded)} in the S3 event is not URL-encoded`,
    )
  }
}

/** A message body: the test event, or the objects an ObjectCreated notification names (keys decoded). */
export const s3NotificationBody = z
  .discriminatedUnion('Event', [s3TestEvent, s3Notification])
  .transform((body, context): S3Notification => {
    if (body.Event === 's3:TestEvent') return { kind: 'test', bucket: body.Bucket }
    const objects: CreatedObject[] = []
    for (const { eventName, s3 } of body.Records) {
      try {
        objects.push({
          bucket: s3.bucket.name,
          key: decodeS3Key(s3.object.key),
          eventName,
          size: s3.object.size,
          versionId: s3.object.versionId,
        })
      } catch (error) {
        context.issues.push({ code: 'custom', message: (error as Error).message, input: s3.object.key })
        return z.NEVER
      }
    }
    return { kind: 'created', objects }
  })

/** One record of the ingest queue, its body parsed (the batch processor's schema). */
export const ingestQueueRecord = SqsRecordSchema.extend({ body: JSONStringified(s3NotificationBody) })

export type IngestQueueRecord = z.infer<typeof ingestQueueRecord>
