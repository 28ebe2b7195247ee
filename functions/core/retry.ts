import { setTimeout as delay } from 'node:timers/promises'

/**
 * How an operation that failed is tried again, where a retry is the application's decision (a send that may be
 * resent, a conditional create that met a write in flight, an Athena query to start again). Retries of single
 * AWS calls (throttling, 5xx, a dropped connection) are the SDK clients' own, set where each client is made.
 */
export interface RetryPolicy {
  /** Tries in all, the first included: 1 never retries. */
  attempts: number
  /** The longest wait before the first retry; doubled for each retry after it, up to `maxDelayMs`. */
  baseDelayMs: number
  maxDelayMs: number
}

/** Waiting and the jitter source: real ones by default, given by tests. */
export interface RetryTiming {
  sleep: (ms: number) => Promise<void>
  random: () => number
}

export const REAL_TIMING: RetryTiming = {
  sleep: (ms) => delay(ms).then(() => undefined),
  random: Math.random,
}

/**
 * The wait before retry number `retry` (1 after the first try fails): "full jitter", a uniform draw between 0
 * and min(maxDelayMs, baseDelayMs * 2^(retry - 1)), so that callers that failed together do not retry together.
 */
export function retryDelay(policy: RetryPolicy, retry: number, random: () => number): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1)))
}

/**
 * Runs `operation` (given its try number, from 1) until it returns. After a failure it waits `retryDelay` and
 * tries again while tries remain and `retryable(error, delayMs)` says so (the caller may refuse a wait that
 * would end too late); otherwise the failure is thrown as it is.
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  retryable: (error: unknown, delayMs: number) => boolean,
  timing: Partial<RetryTiming> = {},
): Promise<T> {
  const sleep = timing.sleep ?? REAL_TIMING.sleep
  const random = timing.random ?? REAL_TIMING.random
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      const delayMs = retryDelay(policy, attempt, random)
      if (attempt >= policy.attempts || !retryable(error, delayMs)) throw error
      await sleep(delayMs)
    }
  }
}
