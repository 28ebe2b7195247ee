/**
 * A Lambda bundle exactly as `cdk synth` builds it (tests/infra/synth.ts), invoked in a fresh Node process as
 * Lambda's cold start runs it: the staged asset's index.mjs imported, its `handler` called once with an event and
 * a Lambda-like context, the result or the error written back as JSON on the last line of stdout.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CfnElement } from 'aws-cdk-lib'
import type { HotspotFunction } from '../../lib/lambda.ts'
import { type Json, resourcesOf, type Synthesized } from '../infra/synth.ts'

/** The directory CDK staged a function's code in (the asset its S3Key names). */
export function assetOf(s: Synthesized, fn: HotspotFunction): string {
  const key: string = functionResource(s, fn).Properties.Code.S3Key
  return path.join(s.outdir, `asset.${key.replace(/\.zip$/, '')}`)
}

export function functionResource(s: Synthesized, fn: HotspotFunction): Json {
  return s.template.Resources[s.stack.getLogicalId(fn.fn.node.defaultChild as CfnElement)]
}

/**
 * The environment the stack gives the function: its literal values as they are, and each value CloudFormation
 * resolves at deploy time (a Ref to a bucket, a configuration set) from `resolved`, which must name every one.
 */
export function stackEnvironment(
  s: Synthesized,
  fn: HotspotFunction,
  resolved: Record<string, string>,
): Record<string, string> {
  const variables = functionResource(s, fn).Properties.Environment.Variables as Record<string, Json>
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value]
      const given = resolved[name]
      if (given === undefined)
        throw new Error(`${name} is resolved at deploy time (${JSON.stringify(value)})`)
      return [name, given]
    }),
  )
}

/** The `Input` of the stack's schedule that targets `fn`, parsed. */
export function scheduleInputs(s: Synthesized, fn: HotspotFunction): Record<string, string>[] {
  const arn = JSON.stringify({
    'Fn::GetAtt': [s.stack.getLogicalId(fn.fn.node.defaultChild as CfnElement), 'Arn'],
  })
  return resourcesOf(s.template, 'AWS::Scheduler::Schedule')
    .filter((schedule) => JSON.stringify(schedule.Properties.Target.Arn) === arn)
    .map((schedule) => JSON.parse(schedule.Properties.Target.Input))
}

export type Invocation =
  | { ok: true; result: Json; stderr: string; stdout: string }
  | { ok: false; error: { name: string; message: string }; stderr: string; stdout: string }

const MARK = '@@hotspot-invocation@@'

/** The script the fresh process runs: argv = [bundle URL, event JSON]. */
const RUNNER = `
const [url, eventJson] = process.argv.slice(1)
const context = {
  functionName: 'hotspot-test', functionVersion: '$LATEST', memoryLimitInMB: '1024',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:hotspot-test',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000000', logGroupName: '/aws/lambda/hotspot-test',
  logStreamName: 'test', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 600000, done() {}, fail() {}, succeed() {},
}
let outcome
try {
  const { handler } = await import(url)
  outcome = { ok: true, result: await handler(JSON.parse(eventJson), context) }
} catch (error) {
  outcome = { ok: false, error: { name: error?.constructor?.name ?? typeof error, message: String(error?.message ?? error) } }
}
process.stdout.write('\\n${MARK}' + JSON.stringify(outcome) + '\\n')
`

/**
 * Runs the bundle's handler once in a new `node` whose environment is exactly `env` (with PATH): no variable of
 * this process leaks in (no credentials, no profile). Asynchronous, so servers of this process (the SES
 * endpoint) answer it meanwhile.
 */
export function invokeBundle(
  asset: string,
  event: unknown,
  env: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<Invocation> {
  const url = pathToFileURL(path.join(asset, 'index.mjs')).href
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', RUNNER, url, JSON.stringify(event)],
      {
        cwd: asset,
        env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...env },
        timeout: options.timeoutMs ?? 50_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith(MARK))
        if (line === undefined) {
          reject(
            new Error(`the bundle wrote no outcome (${error?.message ?? 'exit 0'}):\n${stderr}\n${stdout}`),
          )
          return
        }
        resolve({ ...(JSON.parse(line.slice(MARK.length)) as Invocation), stderr, stdout })
      },
    )
  })
}
