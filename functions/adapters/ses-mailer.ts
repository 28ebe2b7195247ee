import type { Tracer } from '@aws-lambda-powertools/tracer'
import {
  SESv2Client,
  type SESv2ClientConfig,
  SendEmailCommand,
  type SendEmailCommandInput,
  type SendEmailCommandOutput,
} from '@aws-sdk/client-sesv2'
import { type Mailer, type ReportMessage, SendError } from '../core/ports.ts'

/** The SES client's settings the mailer takes (endpoint, region, credentials...): never its retries or timeout. */
export type SesClientConfig = Omit<
  SESv2ClientConfig,
  'maxAttempts' | 'retryMode' | 'retryStrategy' | 'requestHandler'
>

/**
 * How long one SendEmail may take before the mailer gives up on it. The SDK's default is no limit: a request SES
 * never answers would hold the reports Lambda until its own timeout kills it, leaving the recipients after it
 * untried. SES answers in well under a second.
 */
export const SES_REQUEST_TIMEOUT_MS = 30_000

export interface SesMailerOptions {
  /** Settings of the client the mailer makes (default: the SDK's, from the environment). */
  clientConfig?: SesClientConfig
  /** A client made elsewhere (tests): the mailer replaces its retry middleware, so it never retries a send. */
  client?: SESv2Client
  /** Traces every call of the client (the Lambdas' Powertools tracer; X-Ray is on in the stack). */
  tracer?: Pick<Tracer, 'captureAWSv3Client'>
  /** SES configuration set: event publishing (bounces, complaints, deliveries) and the sending IP pool. */
  configurationSet?: string
  /** Default SES_REQUEST_TIMEOUT_MS; ignored with `client`. */
  requestTimeoutMs?: number
}

/**
 * Where the SDK's retry middleware sits in every client's stack (`retryMiddlewareOptions` of @smithy/core/retry).
 * The mailer puts a pass-through in its place (`override`): removing it would break the signing middleware,
 * which is placed relative to it.
 */
const NO_SDK_RETRY = {
  name: 'retryMiddleware',
  tags: ['RETRY'],
  step: 'finalizeRequest' as const,
  priority: 'high' as const,
  override: true,
}

/**
 * Sends the composed bytes unchanged with SESv2 `SendEmail` (raw content), so the archived .eml is what SES
 * received. One `send` is one HTTP request: the SDK's own retries are off (`maxAttempts: 1`, and the retry
 * middleware of any client is replaced by a pass-through), because the SDK retries a connection reset or a timeout after
 * the request went out, which can send the email twice. Delivery retries what is safe to retry (throttling,
 * 5xx, a connection refused) with its own backoff; what fails is mapped to a SendError kind for delivery (see
 * `classifySesError`), and an error that does not say whether SES took the message is left unclassified, for
 * delivery to record as unknown.
 */
export class SesMailer implements Mailer {
  readonly name = 'ses' as const
  private readonly client: SESv2Client
  private readonly configurationSetName: string | undefined

  constructor(options: SesMailerOptions = {}) {
    this.client =
      options.client ??
      new SESv2Client({
        ...options.clientConfig,
        maxAttempts: 1,
        // a send past its time may have reached SES: delivery records it as unknown (an error left unclassified)
        requestHandler: {
          requestTimeout: options.requestTimeoutMs ?? SES_REQUEST_TIMEOUT_MS,
          throwOnRequestTimeout: true,
        },
      })
    this.client.middlewareStack.add((next) => (args) => next(args), NO_SDK_RETRY)
    options.tracer?.captureAWSv3Client(this.client)
    this.configurationSetName = options.configurationSet
  }

  async send(message: ReportMessage): Promise<{ messageId: string }> {
    const input: SendEmailCommandInput = {
      FromEmailAddress: message.from,
      Destination: { ToAddresses: [...message.to] },
      Content: { Raw: { Data: message.raw } },
    }
    if (this.configurationSetName !== undefined) input.ConfigurationSetName = this.configurationSetName
    let response: SendEmailCommandOutput
    try {
      response = await this.client.send(new SendEmailCommand(input))
    } catch (error) {
      throw classifySesError(error) ?? error
    }
    // SES's own id, the one its bounce and delivery events carry
    return { messageId: response.MessageId ?? message.messageId }
  }
}

interface AwsErrorShape {
  name?: string
  message?: string
  code?: string
  $fault?: 'client' | 'server'
  $metadata?: { httpStatusCode?: number }
}

/** Errors of a request that never reached SES (nothing can have been sent). */
const NOT_SENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
])

/** Errors that stop every send for now, not just this recipient's: the run stops and a later run retries. */
const ACCOUNT_LEVEL = new Set([
  'AccountSuspendedException',
  'SendingPausedException',
  'MailFromDomainNotVerifiedException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
])

/**
 * How delivery should treat an SES error, or undefined when it cannot tell whether SES took the message (a
 * timeout or a connection reset after the request went out): delivery records that as an unknown outcome and
 * does not resend it.
 *
 * - `throttled` (retried with backoff): TooManyRequestsException, Throttling, "Maximum sending rate exceeded".
 * - `quota-exceeded` (stops the run; a later run retries): the daily sending quota ("Daily message quota
 *   exceeded", LimitExceededException) and every account-level refusal: account suspended, sending paused,
 *   MAIL FROM domain not verified, a missing configuration set (NotFoundException that is not about an
 *   address), missing or refused credentials.
 * - `suppressed` (skipped and reported): the address is on the suppression list or has bounced.
 * - `rejected` (reported, not retried): MessageRejected and other BadRequestException.
 * - `transient` (retried): 5xx answers and requests that never left (connection refused, DNS).
 */
export function classifySesError(error: unknown): SendError | undefined {
  if (error instanceof SendError) return error
  const { name = '', message = '', code, $fault, $metadata } = (error ?? {}) as AwsErrorShape
  const text = `${name}: ${message}`
  const status = $metadata?.httpStatusCode
  const make = (kind: SendError['kind']) => new SendError(kind, `SES ${text}`, error)

  if (/daily message quota|sending quota|quota exceeded/i.test(message)) return make('quota-exceeded')
  if (name === 'TooManyRequestsException' || name === 'Throttling' || name === 'ThrottlingException') {
    return make('throttled')
  }
  if (/maximum sending rate/i.test(message)) return make('throttled')
  if (name === 'LimitExceededException') return make('quota-exceeded')
  if (/suppression list|suppressed|bounced|hard bounce|complain/i.test(message)) return make('suppressed')
  if (name === 'NotFoundException') return make('quota-exceeded')
  if (ACCOUNT_LEVEL.has(name)) return make('quota-exceeded')
  if (name === 'MessageRejected' || name === 'BadRequestException') return make('rejected')
  if (
    name === 'InternalServiceErrorException' ||
    $fault === 'server' ||
    (status !== undefined && status >= 500)
  ) {
    return make('transient')
  }
  if (status === 403 || status === 401) return make('quota-exceeded')
  if (status !== undefined && status >= 400) return make('rejected')
  if (code !== undefined && NOT_SENT_NETWORK_CODES.has(code)) return make('transient')
  return undefined
}
