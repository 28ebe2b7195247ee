import { createRequire } from 'node:module'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'

/**
 * A real SMTP server on 127.0.0.1 (a random port) that keeps every message it accepts: the envelope and the
 * exact bytes of the DATA section, dot-stuffing undone and the terminating `.` line left off, so a message
 * sent as `raw` (ending in CRLF) is received as `raw`. Failures can be scripted per recipient and per stage:
 * a 550 for an address, a 451 once, or a dropped connection after the data (the client cannot tell whether
 * the message went out). Written on node:net (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
 */

export interface ReceivedMessage {
  /** The queue id given in the 250 reply to the data. */
  id: string
  from: string
  to: string[]
  raw: Buffer
  receivedAt: Date
}

/** An SMTP reply, or `drop`: close the connection without answering. */
export type SinkReply = { code: number; text: string } | 'drop'

/** MAIL and RCPT answer those commands; DATA answers the DATA command; END answers the message data. */
export type SinkStage = 'MAIL' | 'RCPT' | 'DATA' | 'END'

interface ScriptedFailure {
  stage: SinkStage
  reply: SinkReply
  address?: string
}

export class SmtpSink {
  readonly host = '127.0.0.1'
  readonly messages: ReceivedMessage[] = []
  /** Every command line received, in order (`RCPT TO:<a@b.c>`), for assertions on retries. */
  readonly commands: string[] = []
  private readonly rejected = new Map<string, SinkReply>()
  private readonly scripted: ScriptedFailure[] = []
  private readonly sockets = new Set<Socket>()
  private readonly waiters: { count: number; resolve: () => void }[] = []
  private queued = 0

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    const sink = new SmtpSink(server, (server.address() as AddressInfo).port)
    server.on('connection', (socket) => sink.handle(socket))
    return sink
  }

  /** `smtp://127.0.0.1:<port>` for nodemailer, without TLS (none is offered). */
  get url(): string {
    return `smtp://${this.host}:${this.port}`
  }

  /** Every RCPT TO for `address` (case-insensitive) gets this reply: 550 mailbox unavailable by default. */
  rejectRecipient(
    address: string,
    reply: SinkReply = { code: 550, text: '5.1.1 Mailbox unavailable' },
  ): void {
    this.rejected.set(address.toLowerCase(), reply)
  }

  /** The next command of `stage` (for `address`, when given) gets `reply` instead of the usual answer, once. */
  failNext(stage: SinkStage, reply: SinkReply, address?: string): void {
    this.scripted.push({ stage, reply, address: address?.toLowerCase() })
  }

  /** Messages received for an address (one RCPT of the envelope). */
  messagesTo(address: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.to.some((to) => to.toLowerCase() === address.toLowerCase()))
  }

  /** Resolves once `count` messages have been received in all. */
  waitFor(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`SMTP sink: ${this.messages.length} of ${count} messages after ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }

  clear(): void {
    this.messages.length = 0
    this.commands.length = 0
    this.rejected.clear()
    this.scripted.length = 0
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private takeScripted(stage: SinkStage, address?: string): SinkReply | undefined {
    const i = this.scripted.findIndex(
      (f) => f.stage === stage && (f.address === undefined || f.address === address?.toLowerCase()),
    )
    if (i < 0) return undefined
    return this.scripted.splice(i, 1)[0]?.reply
  }

  private handle(socket: Socket): void {
    this.sockets.add(socket)
    socket.on('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let buffer = Buffer.alloc(0)
    let inData = false
    let from: string | undefined
    let to: string[] = []

    const reply = (answer: SinkReply, lines?: string[]) => {
      if (answer === 'drop') {
        socket.destroy()
        return false
      }
      const text = lines ?? [answer.text]
      socket.write(
        text.map((line, i) => `${answer.code}${i < text.length - 1 ? '-' : ' '}${line}\r\n`).join(''),
      )
      return true
    }
    const reset = () => {
      from = undefined
      to = []
    }

    const command = (line: string): boolean => {
      this.commands.push(line)
      const verb = line.slice(0, 4).toUpperCase()
      switch (verb) {
        case 'EHLO':
          return reply({ code: 250, text: '' }, [this.host, '8BITMIME', 'SMTPUTF8', 'SIZE 52428800'])
        case 'HELO':
          return reply({ code: 250, text: this.host })
        case 'MAIL': {
          const match = /^MAIL FROM:\s*<([^>]*)>/i.exec(line)
          if (!match) return reply({ code: 501, text: '5.5.4 Syntax: MAIL FROM:<address>' })
          const scripted = this.takeScripted('MAIL', match[1])
          if (scripted) return reply(scripted)
          reset()
          from = match[1] as string
          return reply({ code: 250, text: '2.1.0 Sender OK' })
        }
        case 'RCPT': {
          const match = /^RCPT TO:\s*<([^>]+)>/i.exec(line)
          if (!match) return reply({ code: 501, text: '5.5.4 Syntax: RCPT TO:<address>' })
          if (from === undefined) return reply({ code: 503, text: '5.5.1 MAIL first' })
          const address = match[1] as string
          const answer = this.takeScripted('RCPT', address) ?? this.rejected.get(address.toLowerCase())
          if (answer) return reply(answer)
          to.push(address)
          return reply({ code: 250, text: '2.1.5 Recipient OK' })
        }
        case 'DATA': {
          if (to.length === 0) return reply({ code: 503, text: '5.5.1 RCPT first' })
          const scripted = this.takeScripted('DATA')
          if (scripted) return reply(scripted)
          inData = true
          return reply({ code: 354, text: 'End data with <CR><LF>.<CR><LF>' })
        }
        case 'RSET':
          reset()
          return reply({ code: 250, text: '2.0.0 OK' })
        case 'NOOP':
          return reply({ code: 250, text: '2.0.0 OK' })
        case 'QUIT':
          reply({ code: 221, text: '2.0.0 Bye' })
          socket.end()
          return false
        default:
          return reply({ code: 502, text: '5.5.2 Command not implemented' })
      }
    }

    const endOfData = (data: Buffer): boolean => {
      inData = false
      // undo dot-stuffing: a line that starts with '.' was sent with one more '.'
      const raw = Buffer.from(data.toString('latin1').replace(/(^|\r\n)\.\./g, '$1.'), 'latin1')
      const scripted = this.takeScripted('END', to[0])
      if (scripted !== undefined && scripted !== 'drop') {
        reset()
        return reply(scripted)
      }
      const id = `sink-${++this.queued}`
      this.messages.push({ id, from: from ?? '', to, raw, receivedAt: new Date() })
      reset()
      for (const waiter of [...this.waiters]) {
        if (this.messages.length >= waiter.count) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1)
          waiter.resolve()
        }
      }
      // a drop after the data: the message is here, but the client never hears so
      return reply(scripted ?? { code: 250, text: `2.0.0 OK: queued as ${id}` })
    }

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      for (;;) {
        if (inData) {
          // the data ends with a line holding only '.': CRLF . CRLF, or '.' CRLF at its very start
          if (buffer.subarray(0, 3).toString('latin1') === '.\r\n') {
            buffer = buffer.subarray(3)
            if (!endOfData(Buffer.alloc(0))) return
            continue
          }
          const end = buffer.indexOf('\r\n.\r\n')
          if (end < 0) return
          const data = buffer.subarray(0, end + 2)
          buffer = buffer.subarray(end + 5)
          if (!endOfData(data)) return
          continue
        }
        const eol = buffer.indexOf('\r\n')
        if (eol < 0) return
        const line = buffer.subarray(0, eol).toString('utf8')
        buffer = buffer.subarray(eol + 2)
        if (!command(line)) return
      }
    })
    reply({ code: 220, text: `${this.host} ESMTP hotspot test sink` })
  }
}

export interface ParsedAddress {
  name: string
  address?: string
}

export interface ParsedAttachment {
  filename?: string
  contentType: string
  contentDisposition?: string
  /** Without angle brackets. */
  cid?: string
  /** With angle brackets. */
  contentId?: string
  related?: boolean
  content: Buffer
  size: number
}

/** What this project reads of mailparser's ParsedMail (mailparser ships no types). */
export interface ParsedMail {
  subject?: string
  messageId?: string
  date?: Date
  from?: { value: ParsedAddress[]; text: string }
  to?: { value: ParsedAddress[]; text: string }
  replyTo?: { value: ParsedAddress[]; text: string }
  html: string | false
  text?: string
  attachments: ParsedAttachment[]
  headers: Map<string, unknown>
}

const require = createRequire(import.meta.url)
const mailparser = require('mailparser') as {
  simpleParser(source: Buffer, options: { skipImageLinks: boolean }): Promise<ParsedMail>
}

/** Parses a message with mailparser, keeping `cid:` links in the HTML (`skipImageLinks`). */
export function parseMessage(raw: Buffer): Promise<ParsedMail> {
  return mailparser.simpleParser(raw, { skipImageLinks: true })
}
