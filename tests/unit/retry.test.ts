import { describe, expect, it } from 'vitest'
import { type RetryPolicy, retryDelay, withRetries } from '../../functions/core/retry.ts'

const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 }

describe('retryDelay: full jitter', () => {
  it('draws between 0 and the ceiling, which doubles from baseDelayMs up to maxDelayMs', () => {
    expect([1, 2, 3, 4].map((retry) => retryDelay(POLICY, retry, () => 0))).toEqual([0, 0, 0, 0])
    expect([1, 2, 3, 4].map((retry) => retryDelay(POLICY, retry, () => 0.5))).toEqual([50, 100, 150, 150])
    expect([1, 2, 3, 4].map((retry) => retryDelay(POLICY, retry, () => 0.999))).toEqual([100, 200, 300, 300])
  })
})

describe('withRetries', () => {
  /** An operation failing `failures` times, then answering; the tries and the waits it saw. */
  function flaky(failures: number) {
    const tries: number[] = []
    const waits: number[] = []
    const operation = async (attempt: number) => {
      tries.push(attempt)
      if (tries.length <= failures) throw new Error(`failure ${tries.length}`)
      return 'done'
    }
    const timing = {
      random: () => 0.5,
      sleep: async (ms: number) => {
        waits.push(ms)
      },
    }
    return { operation, tries, waits, timing }
  }

  it('retries a retryable failure after each wait, and returns the answer', async () => {
    const { operation, tries, waits, timing } = flaky(2)
    expect(await withRetries(operation, POLICY, () => true, timing)).toBe('done')
    expect(tries).toEqual([1, 2, 3])
    expect(waits).toEqual([50, 100])
  })

  it('throws the last failure once the attempts are spent, with no wait after it', async () => {
    const { operation, tries, waits, timing } = flaky(10)
    await expect(withRetries(operation, POLICY, () => true, timing)).rejects.toThrow('failure 4')
    expect(tries).toEqual([1, 2, 3, 4])
    expect(waits).toEqual([50, 100, 150])
  })

  it('throws at once what the caller does not retry, and is told the wait it would take', async () => {
    const { operation, tries, waits, timing } = flaky(10)
    const asked: [string, number][] = []
    const retryable = (error: unknown, delayMs: number) => {
      asked.push([(error as Error).message, delayMs])
      return delayMs < 100
    }
    await expect(withRetries(operation, POLICY, retryable, timing)).rejects.toThrow('failure 2')
    expect(tries).toEqual([1, 2])
    expect(asked).toEqual([
      ['failure 1', 50],
      ['failure 2', 100],
    ])
    expect(waits).toEqual([50])
  })

  it('tries once with a single attempt', async () => {
    const { operation, tries, timing } = flaky(1)
    await expect(withRetries(operation, { ...POLICY, attempts: 1 }, () => true, timing)).rejects.toThrow(
      'failure 1',
    )
    expect(tries).toEqual([1])
  })
})
