/** What the in-memory AWS fakes (fake-s3.ts, fake-athena.ts) share: injected failures and the record of calls. */

export interface SentCommand {
  command: string
  input: Record<string, unknown>
}

/** Every command an aws-sdk-client-mock stub received so far, in order, as `{ command: 'PutObject', input }`. */
export function sentCommands(mock: { calls(): { args: unknown[] }[] }): SentCommand[] {
  return mock.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> }
    return { command: command.constructor.name.replace(/Command$/, ''), input: command.input }
  })
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
