import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'

/**
 * A local SES v2 HTTP endpoint (restJson1, as the SES API v2 reference and the SDK's model describe it) for the
 * SendEmail operation only: `POST /v2/email/outbound-emails` with a JSON body
 * `{FromEmailAddress, Destination: {ToAddresses, CcAddresses, BccAddresses}, Content: {Raw: {Data: <base64>}} |
 * {Simple: ...} | {Template: ...}, ConfigurationSetName, ...}`.
 *
 * - success: 200, `application/json`, `{"MessageId": "..."}`, with an `x-amzn-RequestId` header.
 * - errors: the error's status, an `x-amzn-ErrorType` header naming it and a JSON body `{"message": "..."}` (the
 *   SDK reads the code from that header first, then from a `code` or `__type` field of the body).
 *
 * Every request is recorded (with the decoded raw message), whatever the endpoint answered. What it answers is
 * planned per request: steps queued for one destination address are used first, then the steps queued for any
 * request, then the default mode (`accept` unless set).
 */

/** SendEmail's errors (SES API v2 reference), with the status the SDK's model gives each. */
export const SES_ERRORS = {
  AccountSuspendedException: 400,
  BadRequestException: 400,
  LimitExceededException: 400,
  MailFromDomainNotVerifiedException: 400,
  MessageRejected: 400,
  NotFoundException: 404,
  SendingPausedException: 400,
  TooManyRequestsException: 429,
  InternalServiceErrorException: 500,
} as const

export type SesErrorCode = keyof typeof SES_ERRORS

export type SesStep =
  /** 200 with a MessageId: the message is sent. */
  | 'accept'
  /** 429 TooManyRequestsException "Maximum sending rate exceeded.": nothing sent. */
  | 'throttle'
  /** 400 MessageRejected: nothing sent. */
  | 'reject'
  /** Reads the whole request, then destroys the socket without answering: the message may have gone out. */
  | 'reset-after-request'
  /** Reads the whole request and never answers (until the client gives up or the endpoint closes). */
  | 'hang-after-request'
  /** Any of SendEmail's errors, with its status. */
  | { error: SesErrorCode; message?: string }

export type SesOutcome = 'accepted' | 'throttled' | 'rejected' | 'reset' | 'hung' | 'error' | 'invalid'

export interface SesRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** The parsed JSON body (undefined if it was not JSON). */
  body: SendEmailBody | undefined
  /** Content.Raw.Data, base64-decoded. */
  raw: Buffer | undefined
  from: string | undefined
  to: string[]
  configurationSet: string | undefined
  /** What the endpoint did with it. */
  outcome: SesOutcome
  /** The error code answered, if any. */
  errorCode?: string
  /** The MessageId answered, if accepted. */
  messageId?: string
  /** performance.now() when the whole request had been read. */
  at: number
}

interface SendEmailBody {
  FromEmailAddress?: string
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] }
  Content?: {
    Raw?: { Data?: string }
    Simple?: { Subject?: { Data?: string }; Body?: object }
    Template?: object
  }
  ConfigurationSetName?: string
}

const ERROR_MESSAGES: Partial<Record<SesErrorCode, string>> = {
  TooManyRequestsException: 'Maximum sending rate exceeded.',
  MessageRejected: 'Email address is not verified. The following identities failed the check: test',
  LimitExceededException: 'Daily message quota exceeded.',
  SendingPausedException: 'Sending is paused for this account.',
  AccountSuspendedException: 'Your account has been suspended.',
}

const SENDEMAIL_PATH = '/v2/email/outbound-emails'

export class SesEndpoint {
  /** Every request received, in order. */
  readonly requests: SesRequest[] = []
  private readonly plans = new Map<string, SesStep[]>()
  private readonly anyPlan: SesStep[] = []
  private defaultStep: SesStep = 'accept'

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts on a free port of 127.0.0.1. */
  static async start(): Promise<SesEndpoint> {
    let endpoint: SesEndpoint | undefined
    const server = createServer((request, response) => {
      endpoint?.handle(request, response).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)))
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const { port } = server.address() as AddressInfo
    endpoint = new SesEndpoint(server, `http://127.0.0.1:${port}`)
    return endpoint
  }

  /** Queues steps for the next requests (any destination). */
  plan(...steps: SesStep[]): this {
    this.anyPlan.push(...steps)
    return this
  }

  /** Queues steps for the next requests whose first destination address is `address`. */
  planFor(address: string, ...steps: SesStep[]): this {
    const key = address.toLowerCase()
    this.plans.set(key, [...(this.plans.get(key) ?? []), ...steps])
    return this
  }

  /** What the endpoint answers once the planned steps are used up. */
  setDefault(step: SesStep): this {
    this.defaultStep = step
    return this
  }

  /** Forgets the requests, the plans and the default. */
  clear(): void {
    this.requests.length = 0
    this.plans.clear()
    this.anyPlan.length = 0
    this.defaultStep = 'accept'
  }

  /** Requests whose message SES took or may have taken (accepted, or reset after the whole request was read). */
  mayHaveSent(address?: string): SesRequest[] {
    return this.requests.filter(
      (r) =>
        (r.outcome === 'accepted' || r.outcome === 'reset') &&
        (address === undefined || r.to.some((to) => to.toLowerCase() === address.toLowerCase())),
    )
  }

  /** Requests sent to `address`. */
  requestsTo(address: string): SesRequest[] {
    return this.requests.filter((r) => r.to.some((to) => to.toLowerCase() === address.toLowerCase()))
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private nextStep(to: string[]): SesStep {
    const first = to[0]?.toLowerCase()
    const own = first === undefined ? undefined : this.plans.get(first)
    return own?.shift() ?? this.anyPlan.shift() ?? this.defaultStep
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const at = performance.now()
    const path = (request.url ?? '').split('?')[0] ?? ''

    let body: SendEmailBody | undefined
    try {
      body = text === '' ? {} : (JSON.parse(text) as SendEmailBody)
    } catch {
      body = undefined
    }
    const rawData = body?.Content?.Raw?.Data
    const raw = typeof rawData === 'string' ? Buffer.from(rawData, 'base64') : undefined
    const destination = body?.Destination ?? {}
    const to = [
      ...(destination.ToAddresses ?? []),
      ...(destination.CcAddresses ?? []),
      ...(destination.BccAddresses ?? []),
    ]
    const record: SesRequest = {
      method: request.method ?? '',
      path,
      headers: request.headers,
      body,
      raw,
      from: body?.FromEmailAddress,
      to,
      configurationSet: body?.ConfigurationSetName,
      outcome: 'invalid',
      at,
    }
    this.requests.push(record)

    const fail = (status: number, code: string, message: string, outcome: SesOutcome = 'error') => {
      record.outcome = outcome
      record.errorCode = code
      response.writeHead(status, {
        'content-type': 'application/json',
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': code,
      })
      response.end(JSON.stringify({ message }))
    }

    if (request.method !== 'POST' || path !== SENDEMAIL_PATH) {
      return fail(404, 'UnknownOperationException', `no operation at ${request.method} ${path}`, 'invalid')
    }
    const auth = request.headers.authorization ?? ''
    if (!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/ses\/aws4_request,/.test(auth)) {
      return fail(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token', 'invalid')
    }
    if (body === undefined) return fail(400, 'SerializationException', 'the body is not JSON', 'invalid')
    const content = body.Content
    const kinds = ['Raw', 'Simple', 'Template'].filter((k) => content?.[k as 'Raw'] !== undefined)
    if (kinds.length !== 1) {
      return fail(
        400,
        'BadRequestException',
        'Content must have exactly one of Simple, Raw or Template',
        'invalid',
      )
    }
    if (content?.Raw !== undefined && (raw === undefined || raw.length === 0)) {
      return fail(400, 'BadRequestException', 'Raw.Data must be a base64 message', 'invalid')
    }
    if (content?.Raw === undefined && (body.FromEmailAddress === undefined || to.length === 0)) {
      return fail(400, 'BadRequestException', 'FromEmailAddress and Destination are required', 'invalid')
    }
    if (content?.Raw !== undefined && to.length === 0) {
      // SES would read the destinations from the message's headers; the mailer always gives them
      return fail(400, 'BadRequestException', 'no Destination given', 'invalid')
    }

    const step = this.nextStep(to)
    if (step === 'reset-after-request') {
      record.outcome = 'reset'
      request.socket.destroy()
      return
    }
    if (step === 'hang-after-request') {
      record.outcome = 'hung'
      return
    }
    if (step === 'accept') {
      record.outcome = 'accepted'
      record.messageId = `0100${randomBytes(6).toString('hex')}-${randomUUID()}-000000`
      response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() })
      response.end(JSON.stringify({ MessageId: record.messageId }))
      return
    }
    const { error, message } =
      step === 'throttle'
        ? { error: 'TooManyRequestsException' as const, message: undefined }
        : step === 'reject'
          ? { error: 'MessageRejected' as const, message: undefined }
          : step
    const outcome: SesOutcome =
      error === 'TooManyRequestsException' ? 'throttled' : error === 'MessageRejected' ? 'rejected' : 'error'
    fail(SES_ERRORS[error], error, message ?? ERROR_MESSAGES[error] ?? error, outcome)
  }
}
