/**
 * The CDK app as `cdk synth` builds it (cdk.json's feature flags, example context), synthesized once per test
 * file into a temporary directory. Bundling the three functions with esbuild is most of the cost, so it is
 * skipped (CDK's `aws:cdk:bundling-stacks` context: each function's code is a placeholder asset) unless a test
 * reads the bundles (bundles.test.ts, tests/aws/*-bundle.test.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { App, type CfnElement, Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { BUNDLING_STACKS, type CloudAssembly } from 'aws-cdk-lib/cx-api'
import type { IConstruct } from 'constructs'
import { buildApp } from '../../lib/app.ts'
import { EXAMPLE_CONTEXT } from '../../lib/config.ts'
import type { HotspotStack } from '../../lib/hotspot-stack.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
export type Json = any

/** cdk.json's context: the feature flags `cdk synth` runs with. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context
}

export interface Synthesized {
  app: App
  stack: HotspotStack
  assembly: CloudAssembly
  template: Json
  outdir: string
}

export function synthesize(
  context: Record<string, unknown> = {},
  options: { nag?: boolean; bundle?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'hotspot-cdk-'))
  const { app, stack } = buildApp(
    {
      outdir,
      context: {
        ...cdkJsonContext(),
        ...EXAMPLE_CONTEXT,
        ...(options.bundle ? {} : { [BUNDLING_STACKS]: [] }),
        ...context,
      },
      // CloudFormation's own template rules are slow (~15 s); the CLI test runs them (cli-synth.test.ts)
      builtinCloudFormationValidation: false,
    },
    options,
  )
  const assembly = app.synth()
  const template = assembly.getStackArtifact(stack.artifactId).template
  return { app, stack, assembly, template, outdir }
}

/** Resources of a type, with their logical ids. */
export function resourcesOf(
  template: Json,
  type: string,
): { id: string; Properties: Json; [k: string]: Json }[] {
  return Object.entries(template.Resources as Record<string, Json>)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => ({ id, ...r, Properties: r.Properties ?? {} }))
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` and `{ Ref: id }` to the logical id. */
export function refId(value: Json): string | undefined {
  if (value?.Ref) return value.Ref
  if (value?.['Fn::GetAtt']) return value['Fn::GetAtt'][0]
  return undefined
}

/**
 * A resource string as cdk-nag prints it: `<Logical.Arn>/curated/*`, `arn:<AWS::Partition>:...`. Makes
 * policy resources comparable as plain strings.
 */
export function flat(value: Json): string {
  if (typeof value === 'string') return value
  if (value?.Ref) return `<${value.Ref}>`
  if (value?.['Fn::GetAtt']) return `<${value['Fn::GetAtt'][0]}.${value['Fn::GetAtt'][1]}>`
  if (value?.['Fn::Join']) {
    const [separator, items] = value['Fn::Join']
    return (items as Json[]).map(flat).join(separator)
  }
  return JSON.stringify(value)
}

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

/**
 * A bare stack for testing constructs one by one: cdk.json's feature flags, no function bundled (each function's
 * code is a placeholder asset), nothing else in it.
 */
export function bareStack(): Stack {
  const app = new App({ context: { ...cdkJsonContext(), [BUNDLING_STACKS]: [] } })
  return new Stack(app, 'Test')
}

/** The template of a bare stack, and its logical ids (overridden ones included). */
export function templateOf(stack: Stack): {
  template: Json
  id: (construct: IConstruct) => string
} {
  const template = Template.fromStack(stack).toJSON()
  const id = (construct: IConstruct) =>
    stack.resolve(((construct.node.defaultChild ?? construct) as CfnElement).logicalId)
  return { template, id }
}
