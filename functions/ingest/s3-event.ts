import { z } from 'zod'

/**
 * The S3 event notification S3 sends to the ingest queue (one SQS message body), reduced to what ingest needs.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
const s3EventRecord = z.object({
  eventName: z.string().startsWith('ObjectCreated:', {
    error: (issue) =>
      `event ${JSON.stringify(issue.input)} is not ObjectCreated:*: only new objects are ingested`,
  }),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      // present when the bucket is versioned (the lake bucket is)
      versionId: z.string().min(1).optional(),
    }),
  }),
})

const s3Notification = z.object({ Records: z.array(s3EventRecord).min(1) })

/** Sent once when a bucket notification is configured; it announces nothing to ingest. */
const s3TestEvent = z.object({
  Service: z.literal('Amazon S3'),
  Event: z.literal('s3:TestEvent'),
  Bucket: z.string().optional(),
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

/** Parses one SQS message body holding an S3 event notification. Throws on anything else. */
export function parseS3Notification(body: string): S3Notification {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (error) {
    throw new InvalidNotificationError(`message body is not JSON: ${(error as Error).message}`)
  }
  const test = s3TestEvent.safeParse(json)
  if (test.success) return { kind: 'test', bucket: test.data.Bucket }
  const parsed = s3Notification.safeParse(json)
  if (!parsed.success) {
    throw new InvalidNotificationError(
      `message body is not an S3 event notification: ${z.prettifyError(parsed.error)}`,
    )
  }
  return {
    kind: 'created',
    objects: parsed.data.Records.map(({ eventName, s3 }) => ({
      bucket: s3.bucket.name,
      key: decodeS3Key(s3.object.key),
      eventName,
      size: s3.object.size,
      versionId: s3.object.versionId,
    })),
  }
}
