/** What the in-memory AWS fakes (fake-s3.ts, fake-athena.ts) share: injected failures and the record of calls. */

export interface SentCommand {
  command: string
  input: Record<string, unknown>
}

/**
 * Every command a fake answered, in order, as `{ command: 'PutObject', input }`, each input as it was when sent:
 * the SDK's paginators send one input object, changed between pages, so the mock's own history would show
 * every page with the last page's token.
 */
export function commandLog() {
  const log: SentCommand[] = []
  return {
    record(command: string, input: object): void {
      log.push({ command, input: { ...input } })
    },
    sent: (): SentCommand[] => [...log],
    clear(): void {
      log.length = 0
    },
  }
}

/** Errors queued per command name: the next calls of a command throw them, in order, before the fake answers. */
export function failureQueue<Command extends string>() {
  const queued = new Map<Command, Error[]>()
  return {
    failNext(command: Command, ...errors: Error[]): void {
      queued.set(command, [...(queued.get(command) ?? []), ...errors])
    },
    throwIfQueued(command: Command): void {
      const error = queued.get(command)?.shift()
      if (error) throw error
    },
  }
}
