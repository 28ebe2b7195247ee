/**
 * A server process for the tests (the real Trino, moto's S3): started on a free loopback port in a temporary
 * folder of its own, its output in `<work>/server.log`, waited for until it answers, and killed with the test run
 * if the run dies before its teardown.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

export interface LocalServerSpec {
  /** For messages: "Trino", "moto_server". */
  name: string
  /** Writes the server's configuration into its work folder; the port is free and its own. */
  prepare?(work: string, port: number): Promise<void>
  command(work: string, port: number): { file: string; args: string[]; env?: NodeJS.ProcessEnv }
  /** True once the server takes requests (errors count as not yet). */
  ready(url: string): Promise<boolean>
  timeoutMs: number
  /** How long a SIGTERM may take before SIGKILL. */
  graceMs: number
}

export interface LocalServer {
  url: string
  work: string
  stop(): Promise<void>
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export async function startLocalServer(spec: LocalServerSpec): Promise<LocalServer> {
  const work = await mkdtemp(path.join(tmpdir(), `hotspot-${spec.name.toLowerCase().replace(/\W+/g, '-')}-`))
  const port = await freePort()
  await spec.prepare?.(work, port)
  const log = path.join(work, 'server.log')
  const logFile = await open(log, 'w')
  const { file, args, env } = spec.command(work, port)
  // in the work folder: whatever the server writes beside itself (Trino's var/log) goes with it
  const child: ChildProcess = spawn(file, args, {
    cwd: work,
    stdio: ['ignore', logFile.fd, logFile.fd],
    ...(env ? { env } : {}),
  })
  let exited: number | null | undefined
  const killServer = () => child.kill('SIGKILL')
  process.once('exit', killServer)
  for (const signal of SIGNALS) process.once(signal, killServer)
  child.once('exit', (code) => {
    exited = code
    process.off('exit', killServer)
    for (const signal of SIGNALS) process.off(signal, killServer)
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (exited === undefined) {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), spec.graceMs)
      await gone
      clearTimeout(timer)
    }
    await logFile.close().catch(() => undefined)
    await rm(work, { recursive: true, force: true })
  }
  const deadline = Date.now() + spec.timeoutMs
  for (;;) {
    if (exited !== undefined) {
      const tail = readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')
      await stop()
      throw new Error(`${spec.name} exited (code ${exited}) before it was ready:\n${tail}`)
    }
    if (await spec.ready(url).catch(() => false)) return { url, work, stop }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${spec.name} did not start within ${spec.timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
