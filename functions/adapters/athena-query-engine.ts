import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Tracer } from '@aws-lambda-powertools/tracer'
import {
  AthenaClient,
  type AthenaClientConfig,
  type AthenaError,
  type ColumnInfo,
  GetQueryExecutionCommand,
  paginateGetQueryResults,
  type QueryExecution,
  StartQueryExecutionCommand,
  type StartQueryExecutionInput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena'
import type { QueryEngine, QueryOptions, QueryResult } from '../core/ports.ts'
import { REAL_TIMING, type RetryPolicy, type RetryTiming, withRetries } from '../core/retry.ts'

export interface AthenaQueryEngineOptions {
  /** The workgroup enforces the results location, its encryption and the bytes-scanned cutoff (DESIGN 9). */
  workgroup: string
  database: string
  /** Default `AwsDataCatalog` (the Glue catalog). */
  catalog?: string
  /** Default: athenaClient(). */
  client?: AthenaClient
  /** Traces every call of the client (the Lambdas' Powertools tracer; X-Ray is on in the stack). */
  tracer?: Pick<Tracer, 'captureAWSv3Client'>
  /** First wait between GetQueryExecution polls; doubled after each poll up to `maxPollIntervalMs`. */
  pollIntervalMs?: number
  maxPollIntervalMs?: number
  /**
   * How long `query` waits for a query (its executions, from the first start) before it sends
   * StopQueryExecution and throws. Default 30 minutes (Athena's own default DML timeout). A query's own
   * `QueryOptions.timeoutMs` (in a Lambda: the remaining invocation time, less a margin) wins when shorter.
   */
  timeoutMs?: number
  /**
   * Executions started for one query when Athena reports a failure as retryable, and the waits before each
   * replacement (default EXECUTION_RETRY).
   */
  executionRetry?: Partial<RetryPolicy>
  /** Test seams: waiting (between polls, and before a replacement), the jitter source, a monotonic clock in ms. */
  timing?: Partial<RetryTiming>
  now?: () => number
}

/** A failed execution Athena calls retryable is replaced twice at most, after a wait of up to 1 s, then 2 s. */
export const EXECUTION_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1000, maxDelayMs: 5000 }

/**
 * Attempts of one Athena API call. The SDK's standard retry mode retries throttling (TooManyRequestsException,
 * ThrottlingException), 5xx answers and dropped connections, with backoff. Each call the engine makes may be
 * repeated: StartQueryExecution under the same ClientRequestToken gets the execution already started, and the
 * others read or stop.
 */
export const ATHENA_MAX_ATTEMPTS = 5

/** The Athena client the engine makes, its retries set (ATHENA_MAX_ATTEMPTS). */
export function athenaClient(
  config: Omit<AthenaClientConfig, 'maxAttempts' | 'retryMode'> = {},
): AthenaClient {
  return new AthenaClient({ ...config, maxAttempts: ATHENA_MAX_ATTEMPTS, retryMode: 'standard' })
}

/** What the ClientRequestToken is derived from besides the SQL, its parameters and the as-of date. */
export interface AthenaTokenScope {
  workgroup?: string
  catalog?: string
  database?: string
  /** 1 for the first execution of a query; 2, 3, ... for the executions that replace a retryable failure. */
  attempt?: number
  /** Digest of the inputs the query reads (QueryOptions.inputs). */
  inputs?: string
}

export type AthenaFailureKind =
  /** ErrorCategory 2: the query itself is wrong (syntax, missing table, permissions on the data). */
  | 'user'
  /** ErrorCategory 1: Athena's side. */
  | 'system'
  /** 'Query exhausted resources at this scale factor': the same query would exhaust them again. */
  | 'exhausted-resources'
  /** Cancelled by the workgroup's bytes-scanned cutoff per query: the same query would scan as much again. */
  | 'bytes-scanned-cutoff'
  /** Cancelled otherwise (StopQueryExecution by someone). */
  | 'cancelled'
  /** Still running after `timeoutMs` (the engine's or the query's): StopQueryExecution was sent. */
  | 'timeout'
  | 'other'

export class AthenaQueryError extends Error {
  override name = 'AthenaQueryError'
  readonly state: 'FAILED' | 'CANCELLED' | 'TIMED_OUT'
  readonly reason: string | undefined
  readonly executionId: string
  readonly label: string | undefined
  readonly retryable: boolean
  readonly kind: AthenaFailureKind
  readonly errorCategory: number | undefined
  readonly errorType: number | undefined

  constructor(details: {
    state: 'FAILED' | 'CANCELLED' | 'TIMED_OUT'
    reason: string | undefined
    executionId: string
    label: string | undefined
    retryable: boolean
    kind: AthenaFailureKind
    athenaError?: AthenaError | undefined
    message?: string
  }) {
    const query = details.label === undefined ? 'Athena query' : `Athena query ${details.label}`
    const why = details.message ?? details.reason ?? details.athenaError?.ErrorMessage ?? 'no reason given'
    super(
      `${query} ${details.state} (execution ${details.executionId}): ${why}` +
        (details.kind === 'bytes-scanned-cutoff'
          ? " [cancelled by the workgroup's bytes-scanned cutoff per query; not retried]"
          : details.kind === 'exhausted-resources'
            ? ' [query exhausted resources; not retried]'
            : details.retryable
              ? ' [retryable]'
              : ''),
    )
    this.state = details.state
    this.reason = details.reason
    this.executionId = details.executionId
    this.label = details.label
    this.retryable = details.retryable
    this.kind = details.kind
    this.errorCategory = details.athenaError?.ErrorCategory
    this.errorType = details.athenaError?.ErrorType
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

/**
 * The ClientRequestToken of a query: 64 hex characters (Athena wants 32 to 128), the sha256 of the sha256 of
 * the SQL, the parameters, the as-of date and the scope (workgroup, catalog, database and attempt number).
 *
 * Deterministic on purpose. Athena treats a repeated token as the same request and returns the same
 * QueryExecutionId instead of starting a second execution, so a retry after a crash or a timeout (of the SDK
 * call, the Lambda or the whole run) picks up the execution already started, or already finished, instead of
 * paying for the scan again. The flip side: for as long as Athena remembers the token, the same inputs get
 * the same execution back, including a FAILED or CANCELLED one. That is why a retryable failure is retried
 * under the next attempt number (a new token), and why the digest of the drops a run reads (`inputs`) is part
 * of it: a rerun after new data is a new request.
 * The scope is part of the token so that two stacks or workgroups in one account running the same SQL for
 * the same date never share (or are refused) a token.
 */
export function athenaClientRequestToken(
  sql: string,
  parameters: readonly string[],
  asOf?: string,
  scope: AthenaTokenScope = {},
): string {
  return sha256(
    JSON.stringify({
      sql: sha256(sql),
      parameters,
      asOf: asOf ?? null,
      workgroup: scope.workgroup ?? null,
      catalog: scope.catalog ?? null,
      database: scope.database ?? null,
      attempt: scope.attempt ?? 1,
      ...(scope.inputs === undefined ? {} : { inputs: scope.inputs }),
    }),
  )
}

/** A parameter as Athena's ExecutionParameters wants it: a SQL literal, substituted for its `?` as written. */
export function athenaParameterLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** Athena cancels a query over the workgroup's BytesScannedCutoffPerQuery; match its reason loosely. */
const BYTES_SCANNED_CUTOFF = /(bytes|data)[\s_-]*scanned|scan(ned)?[\s_-]*(cut[\s_-]*off|limit)/i
const EXHAUSTED_RESOURCES = /exhausted[\s_-]*resources/i

function classify(
  state: 'FAILED' | 'CANCELLED',
  reason: string | undefined,
  athenaError: AthenaError | undefined,
): { kind: AthenaFailureKind; retryable: boolean } {
  const text = `${reason ?? ''}\n${athenaError?.ErrorMessage ?? ''}`
  if (BYTES_SCANNED_CUTOFF.test(text)) return { kind: 'bytes-scanned-cutoff', retryable: false }
  if (EXHAUSTED_RESOURCES.test(text)) return { kind: 'exhausted-resources', retryable: false }
  if (state === 'CANCELLED') return { kind: 'cancelled', retryable: false }
  if (athenaError?.ErrorCategory === 2) return { kind: 'user', retryable: false }
  const retryable = athenaError?.Retryable === true
  return { kind: athenaError?.ErrorCategory === 1 ? 'system' : 'other', retryable }
}

function columnType(column: ColumnInfo): string {
  const type = column.Type ?? 'unknown'
  // Athena reports decimal's precision and scale apart from its type name
  if (type === 'decimal' && column.Precision) return `decimal(${column.Precision},${column.Scale ?? 0})`
  return type
}

/**
 * The QueryEngine on Athena (engine v3, Trino). Each query is one execution in the configured workgroup,
 * started under a deterministic ClientRequestToken (see `athenaClientRequestToken`), polled with exponential
 * backoff, and read back with the SDK's paginator. Throttled API calls are retried by the client
 * (athenaClient); a failed execution is replaced (under the next token, EXECUTION_RETRY) only when Athena says
 * the failure is retryable and it is not one that would simply happen again (exhausted resources, the
 * bytes-scanned cutoff, a user error).
 */
export class AthenaQueryEngine implements QueryEngine {
  readonly name = 'athena' as const
  readonly workgroup: string
  readonly database: string
  readonly catalog: string
  private readonly client: AthenaClient
  private readonly pollIntervalMs: number
  private readonly maxPollIntervalMs: number
  private readonly timeoutMs: number
  private readonly executionRetry: RetryPolicy
  private readonly timing: RetryTiming
  private readonly now: () => number

  constructor(options: AthenaQueryEngineOptions) {
    this.workgroup = options.workgroup
    this.database = options.database
    this.catalog = options.catalog ?? 'AwsDataCatalog'
    this.client = options.client ?? athenaClient()
    options.tracer?.captureAWSv3Client(this.client)
    this.pollIntervalMs = options.pollIntervalMs ?? 250
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 5000
    this.timeoutMs = options.timeoutMs ?? 30 * 60 * 1000
    this.executionRetry = { ...EXECUTION_RETRY, ...options.executionRetry }
    this.timing = {
      sleep: options.timing?.sleep ?? REAL_TIMING.sleep,
      random: options.timing?.random ?? REAL_TIMING.random,
    }
    this.now = options.now ?? (() => performance.now())
  }

  /** The ClientRequestToken this engine sends for a query (attempt 1 unless told). */
  clientRequestToken(
    sql: string,
    parameters: readonly string[],
    options: QueryOptions = {},
    attempt = 1,
  ): string {
    return athenaClientRequestToken(sql, parameters, options.asOf, {
      workgroup: this.workgroup,
      catalog: this.catalog,
      database: this.database,
      attempt,
      inputs: options.inputs,
    })
  }

  async query(sql: string, parameters: readonly string[], options: QueryOptions = {}): Promise<QueryResult> {
    const started = this.now()
    const timeoutMs = Math.min(this.timeoutMs, options.timeoutMs ?? Number.POSITIVE_INFINITY)
    if (!(timeoutMs > 0)) {
      // started, it could only be stopped at once: nothing gained, and its token would then name a cancelled execution
      throw new Error(
        `Athena query${options.label === undefined ? '' : ` ${options.label}`} not started: no time left to wait for it (timeout ${timeoutMs} ms)`,
      )
    }
    const deadline = started + timeoutMs
    return withRetries(
      async (attempt) => {
        const input: StartQueryExecutionInput = {
          QueryString: sql,
          ClientRequestToken: this.clientRequestToken(sql, parameters, options, attempt),
          WorkGroup: this.workgroup,
          QueryExecutionContext: { Database: this.database, Catalog: this.catalog },
          // Athena wants at least one parameter when the field is present
          ...(parameters.length > 0 ? { ExecutionParameters: parameters.map(athenaParameterLiteral) } : {}),
        }
        const { QueryExecutionId: executionId } = await this.client.send(
          new StartQueryExecutionCommand(input),
        )
        if (!executionId) throw new Error('Athena StartQueryExecution returned no QueryExecutionId')
        const execution = await this.waitFor(executionId, options.label, deadline, timeoutMs)
        const { columns, rows } = await this.results(executionId, execution)
        const bytes = execution.Statistics?.DataScannedInBytes
        return {
          columns,
          rows,
          stats: {
            elapsed_ms: Math.round(this.now() - started),
            ...(bytes === undefined ? {} : { bytes_scanned: bytes }),
            execution_id: executionId,
          },
        }
      },
      this.executionRetry,
      // a replacement is started only if it can start before the deadline, after its wait
      (error, delayMs) =>
        error instanceof AthenaQueryError && error.retryable && this.now() + delayMs < deadline,
      this.timing,
    )
  }

  /**
   * Polls until the execution ends; throws an AthenaQueryError unless it SUCCEEDED.
   *
   * An execution already CANCELLED at the first poll (not by the bytes-scanned cutoff) is one an earlier call
   * started under the same token and that was stopped: typically this engine's own StopQueryExecution at a
   * Lambda's deadline, before the retry of the run that is now asking. Reported as retryable, it is replaced
   * under the next token; otherwise every retry would get the cancelled execution back for as long as Athena
   * remembers the token. (The flip side: a query an operator stopped by hand is run again by the next retry
   * of its run; one cancelled while this call is polling it is not.)
   */
  private async waitFor(
    executionId: string,
    label: string | undefined,
    deadline: number,
    timeoutMs: number,
  ): Promise<QueryExecution> {
    let interval = this.pollIntervalMs
    for (let poll = 1; ; poll++) {
      const { QueryExecution: execution } = await this.client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: executionId }),
      )
      const state = execution?.Status?.State
      if (execution && state === 'SUCCEEDED') return execution
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = execution?.Status?.StateChangeReason
        const athenaError = execution?.Status?.AthenaError
        const classified = classify(state, reason, athenaError)
        const stoppedEarlier = poll === 1 && classified.kind === 'cancelled'
        throw new AthenaQueryError({
          state,
          reason,
          executionId,
          label,
          athenaError,
          ...classified,
          ...(stoppedEarlier
            ? {
                retryable: true,
                message:
                  `already cancelled when first polled (an earlier call's execution under the same token, ` +
                  `stopped at its deadline or by hand): ${reason ?? 'no reason given'}`,
              }
            : {}),
        })
      }
      const remaining = deadline - this.now()
      if (remaining <= 0) {
        await this.stop(executionId)
        throw new AthenaQueryError({
          state: 'TIMED_OUT',
          reason: undefined,
          executionId,
          label,
          retryable: false,
          kind: 'timeout',
          message: `still ${state ?? 'unknown'} after ${timeoutMs} ms; StopQueryExecution sent`,
        })
      }
      await this.timing.sleep(Math.min(interval, remaining))
      interval = Math.min(interval * 2, this.maxPollIntervalMs)
    }
  }

  /** Best effort: the timeout is reported whether or not Athena accepts the stop. */
  private async stop(executionId: string): Promise<void> {
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: executionId }))
    } catch {
      // the execution may have ended meanwhile; Athena's own timeout ends it otherwise
    }
  }

  private async results(
    executionId: string,
    execution: QueryExecution,
  ): Promise<Pick<QueryResult, 'columns' | 'rows'>> {
    // a SELECT's (DML) first result row repeats the column names; DDL and utility statements have none
    const header = execution.StatementType === undefined || execution.StatementType === 'DML'
    let columns: QueryResult['columns'] = []
    const rows: QueryResult['rows'] = []
    let first = true
    for await (const page of paginateGetQueryResults(
      { client: this.client, pageSize: 1000 },
      { QueryExecutionId: executionId },
    )) {
      const data = page.ResultSet?.Rows ?? []
      if (first) {
        columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((column) => ({
          name: column.Name ?? '',
          type: columnType(column),
        }))
      }
      for (const row of first && header ? data.slice(1) : data) {
        const values = (row.Data ?? []).map((datum) => datum.VarCharValue ?? null)
        while (values.length < columns.length) values.push(null)
        rows.push(values)
      }
      first = false
    }
    return { columns, rows }
  }
}
