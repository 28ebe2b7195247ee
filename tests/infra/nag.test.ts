/**
 * cdk-nag, AwsSolutions and Serverless packs: the app synthesizes with both packs attached and no finding left,
 * and every acknowledgement answers exactly one finding on one resource, with a reason. The second part builds
 * the same app without acknowledgements and runs the packs on it: the findings there are exactly the
 * acknowledged ones, one acknowledgement each.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { CfnResource, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag'
import type { IConstruct } from 'constructs'
import { beforeAll, describe, expect, it } from 'vitest'
import { WITHOUT_ACKNOWLEDGEMENTS } from '../../lib/nag.ts'
import { type Synthesized, synthesize } from './synth.ts'

interface Acknowledgement {
  path: string
  id: string
  reason: string
  construct: IConstruct
}
interface Finding {
  rule: string
  path: string
}

let withPacks: Synthesized
let acknowledgements: Acknowledgement[]
let findings: Finding[]

beforeAll(() => {
  withPacks = synthesize()
  acknowledgements = withPacks.stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          // CDK records an acknowledgement without a plugin prefix as `Annotation::<id>`; cdk-nag reads it so
          id: id.replace(/^annotation::/i, ''),
          reason,
          construct,
        })),
      ),
  )
  const bare = synthesize({ [WITHOUT_ACKNOWLEDGEMENTS]: true }, { nag: false })
  findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(bare.stack)
      .violations.flatMap((violation) =>
        violation.violatingResources.map((r) => ({ rule: violation.ruleName, path: r.constructPath ?? '' })),
      ),
  )
}, 180_000)

const covers = (ack: Acknowledgement, finding: Finding) =>
  ack.id === finding.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`))

describe('cdk-nag (AwsSolutions and Serverless packs)', () => {
  it('the app synthesizes with both packs attached, and the validation report lists no finding', () => {
    const report = JSON.parse(
      readFileSync(path.join(withPacks.assembly.directory, 'validation-report.json'), 'utf8'),
    )
    const violations = report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)
    expect(violations).toEqual([])
  })

  it('the packs do find things without the acknowledgements (the check is live)', () => {
    expect(findings.length).toBeGreaterThan(10)
    expect(findings.every((f) => f.path.startsWith(`${withPacks.stack.stackName}/`))).toBe(true)
  })

  it('every finding is acknowledged exactly once', () => {
    for (const finding of findings) {
      const by = acknowledgements.filter((ack) => covers(ack, finding))
      expect(
        by.map((a) => a.path),
        `${finding.rule} on ${finding.path}`,
      ).toHaveLength(1)
    }
  })

  it('every acknowledgement answers exactly one finding, on one resource', () => {
    expect(acknowledgements.length).toBeGreaterThan(0)
    for (const ack of acknowledgements) {
      const answered = findings.filter((finding) => covers(ack, finding))
      expect(answered, `${ack.id} on ${ack.path}`).toHaveLength(1)
      // never on the stack or a construct that groups resources of different kinds
      expect(ack.construct.node.scope, ack.path).toBeDefined()
      expect(ack.path.split('/').length, ack.path).toBeGreaterThan(2)
      const resources = ack.construct.node.findAll().filter((c) => CfnResource.isCfnResource(c))
      const types = new Set(resources.map((r) => (r as CfnResource).cfnResourceType))
      const main = answered[0]?.path
      expect(
        resources.some((r) => r.node.path === main),
        `${ack.path}: the finding is on a resource inside the acknowledged construct`,
      ).toBe(true)
      // a construct wrapping one resource, or one resource with its policy (a queue and its queue policy)
      expect(types.size, `${ack.path}: ${[...types].join(', ')}`).toBeLessThanOrEqual(2)
    }
  })

  it('every acknowledgement gives a reason that says why', () => {
    for (const ack of acknowledgements) {
      expect(ack.reason.trim().length, `${ack.id} on ${ack.path}`).toBeGreaterThanOrEqual(40)
    }
  })

  it('no AWS managed policy and no wildcard action is acknowledged: only wildcard resources are', () => {
    for (const ack of acknowledgements) {
      expect(ack.id).not.toMatch(/IAM4/)
      expect(ack.id).not.toMatch(/\[Action::/)
    }
  })
})
