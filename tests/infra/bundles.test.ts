/**
 * The functions' bundles as `cdk synth` builds them (esbuild, on this machine): one ESM file each with its source
 * map, no DuckDB, the files copied beside them (queries/, fonts, WebAssembly), and each one starting as Lambda's
 * cold start does. The one infra test that bundles (stack.test.ts reads the template without bundling).
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { Worker } from 'node:worker_threads'
import { beforeAll, describe, expect, it } from 'vitest'
import { MART_NAMES } from '../../functions/core/analytics/marts.ts'
import type { Column } from '../../functions/core/contracts/columns.ts'
import type { SinkReply, SinkRequest } from '../../functions/core/ingest/threaded-sink.ts'
import { RowChunkBuilder } from '../../functions/core/parquet/row-group.ts'
import { ParquetSink } from '../../functions/core/parquet/writer.ts'
import { LAMBDA_QUERIES_DIR } from '../../lib/analytics.ts'
import { EXAMPLE_CONTEXT } from '../../lib/config.ts'
import { type HotspotFunction, PARQUET_WASM_ASSET } from '../../lib/lambda.ts'
import { assetOf, functionResource } from '../aws/lambda-bundle.ts'
import { TEST_PSEUDONYM_KEY_HEX } from '../helpers/ingest-settings.ts'
import { type Json, ROOT, type Synthesized, synthesize } from './synth.ts'

let s: Synthesized

beforeAll(() => {
  s = synthesize({}, { bundle: true })
}, 300_000)

const functions = () => ({
  ingest: s.stack.ingest.function,
  analytics: s.stack.analytics.function,
  reports: s.stack.reporting.function,
})

describe('bundles', () => {
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')

  it('are one ESM file each (with its source map), built by esbuild here', () => {
    for (const [name, fn] of Object.entries(functions())) {
      const files = filesUnder(assetOf(s, fn))
      expect(files, name).toContain('index.mjs')
      expect(files, name).toContain('index.mjs.map')
      expect(
        files.filter((f) => f.endsWith('.node')),
        `${name}: no native addon`,
      ).toEqual([])
      expect(
        files.filter((f) => f.startsWith('node_modules')),
        `${name}: no node_modules`,
      ).toEqual([])
    }
  })

  it('contain no DuckDB', () => {
    for (const [name, fn] of Object.entries(functions())) {
      for (const file of ['index.mjs', 'index.mjs.map']) {
        const text = readFileSync(path.join(assetOf(s, fn), file), 'utf8')
        expect(/duckdb/i.test(text), `${name}/${file} mentions duckdb`).toBe(false)
      }
    }
  })

  it('ship queries/ beside the analytics bundle, byte for byte, where QUERIES_DIR points', () => {
    const asset = assetOf(s, functions().analytics)
    expect(LAMBDA_QUERIES_DIR).toBe('/var/task/queries/')
    const source = path.join(ROOT, 'queries')
    const shipped = filesUnder(path.join(asset, 'queries')).sort()
    expect(shipped).toEqual(filesUnder(source).sort())
    for (const mart of MART_NAMES) expect(shipped).toContain(path.join('marts', `${mart}.sql`))
    for (const file of shipped) {
      expect(sha256(path.join(asset, 'queries', file)), file).toBe(sha256(path.join(source, file)))
    }
  })

  it('ship the chart fonts beside the reports bundle (charts/text.ts reads ./fonts/ beside the module)', () => {
    const fonts = path.join(assetOf(s, functions().reports), 'fonts')
    expect(existsSync(path.join(fonts, 'DejaVuSans.ttf'))).toBe(true)
    expect(existsSync(path.join(fonts, 'DejaVuSans-Bold.ttf'))).toBe(true)
  })

  /**
   * SSM on a loopback port, answering GetParameter (its JSON 1.1 protocol) with a SecureString holding `value`;
   * `requests` records each call as `<X-Amz-Target> <body>`.
   */
  async function ssmAnswering(value: string) {
    const requests: string[] = []
    const server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      request.on('end', () => {
        requests.push(`${request.headers['x-amz-target']} ${body}`)
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        response.end(
          JSON.stringify({
            Parameter: { Name: JSON.parse(body).Name, Type: 'SecureString', Value: value, Version: 1 },
          }),
        )
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      requests,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    }
  }

  /** Loads a bundle in a fresh Node process, as Lambda's cold start does: every import must resolve. */
  async function coldStart(fn: HotspotFunction, extraEnv: Record<string, string> = {}): Promise<string> {
    const env = functionResource(s, fn).Properties.Environment.Variables as Record<string, Json>
    const variables = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : 'hotspot-data-123456789012-eu-west-2',
      ]),
    )
    const entry = pathToFileURL(path.join(assetOf(s, fn), 'index.mjs')).href
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(entry)}); console.log(typeof m.handler)`,
      ],
      {
        cwd: assetOf(s, fn),
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-2',
          NODE_NO_WARNINGS: '1',
          ...variables,
          NODE_OPTIONS: '',
          ...extraEnv,
        },
      },
    )
    return stdout.trim()
  }

  it('the ingest bundle starts (every import resolves; the handler is exported), reading its key from SSM', async () => {
    const ssm = await ssmAnswering(TEST_PSEUDONYM_KEY_HEX)
    try {
      expect(
        await coldStart(functions().ingest, {
          AWS_ENDPOINT_URL_SSM: ssm.url,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        }),
      ).toBe('function')
      expect(ssm.requests).toEqual([
        `AmazonSSM.GetParameter ${JSON.stringify({ Name: EXAMPLE_CONTEXT.pseudonymKeyParameter, WithDecryption: true })}`,
      ])
    } finally {
      await ssm.close()
    }
  })

  it('the ingest bundle carries its Parquet writer thread beside index.mjs, writing what the in-thread sink writes', async () => {
    const asset = assetOf(s, functions().ingest)
    expect(readFileSync(path.join(asset, 'index.mjs'), 'utf8')).toContain('parquet-worker.mjs')
    // the wasm module the function's configuration names (PARQUET_WASM), handed over as threaded-sink.ts does
    const worker = new Worker(pathToFileURL(path.join(asset, 'parquet-worker.mjs')), {
      workerData: { parquetWasm: path.join(asset, 'parquet.wasm') },
    })
    const work = mkdtempSync(path.join(tmpdir(), 'hotspot-worker-'))
    const columns: Column[] = [
      { name: 'id', kind: 'string', required: true, description: '' },
      { name: 'at', kind: 'timestamp', required: false, description: '' },
      { name: 'flag', kind: 'boolean', required: false, description: '' },
    ]
    const rows = Array.from({ length: 1200 }, (_, i) => ({
      id: `R-${i}`,
      at: i % 7 === 0 ? null : 1_700_000_000_000 + i * 1000,
      flag: i % 5 === 0 ? null : i % 2 === 0,
    }))
    const chunk = new RowChunkBuilder(columns)
    for (const row of rows) chunk.append(row, [])
    const replies: SinkReply[] = []
    const finished = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: SinkReply) => {
        replies.push(reply)
        if (reply.kind !== 'written') resolve()
      })
      worker.on('error', reject)
    })
    const send = (request: SinkRequest) => worker.postMessage(request)
    const kvMetadata = { feed: 'test' }
    const file = path.join(work, 'worker.parquet')
    // the parent opens the file and closes it once the writer thread has ended, as threaded-sink.ts does
    const fd = openSync(file, 'w+')
    send({ kind: 'open', file, columns, kvMetadata, uniqueColumns: ['id'], keyColumns: [], fd })
    send({ kind: 'rows', chunk: chunk.packed() })
    send({ kind: 'finish' })
    await finished
    await worker.terminate()
    closeSync(fd)
    expect(replies).toEqual([
      { kind: 'written', rows: 1200 },
      { kind: 'finished', repeats: [] },
    ])
    const inThread = new ParquetSink(
      path.join(work, 'in-thread.parquet'),
      columns,
      kvMetadata,
      new Set(['id']),
    )
    for (const row of rows) inThread.append(row)
    await inThread.finish()
    expect(readFileSync(path.join(work, 'worker.parquet'))).toEqual(
      readFileSync(path.join(work, 'in-thread.parquet')),
    )
  })

  it('ship the Parquet writer (parquet.wasm) beside the bundles that write Parquet, named in PARQUET_WASM', () => {
    const wasm = readFileSync(path.join(ROOT, PARQUET_WASM_ASSET.from))
    for (const fn of [functions().ingest, functions().analytics]) {
      expect(fn.environment.PARQUET_WASM).toBe('/var/task/parquet.wasm')
      expect(readFileSync(path.join(assetOf(s, fn), 'parquet.wasm')).equals(wasm)).toBe(true)
    }
    expect(functions().reports.environment.PARQUET_WASM).toBeUndefined()
  })

  it('the analytics bundle starts', async () => {
    const queries = `${path.join(assetOf(s, functions().analytics), 'queries')}/`
    expect(await coldStart(functions().analytics, { QUERIES_DIR: queries })).toBe('function')
  })

  // resvg's native addon is left out of the bundle (no arm64 build here): charts fall back to its WebAssembly
  // build, shipped beside the bundle as resvg.wasm
  it('the reports bundle starts, with resvg.wasm and the fonts beside it', async () => {
    const asset = assetOf(s, functions().reports)
    expect(await coldStart(functions().reports, { RESVG_WASM: path.join(asset, 'resvg.wasm') })).toBe(
      'function',
    )
    expect(existsSync(path.join(asset, 'resvg.wasm'))).toBe(true)
    expect(existsSync(path.join(asset, 'fonts', 'DejaVuSans.ttf'))).toBe(true)
  })
})
