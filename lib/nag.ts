/**
 * cdk-nag: the AwsSolutions and Serverless packs run on every synthesis (a finding that is neither fixed nor
 * acknowledged fails `cdk synth`), and the one way this app acknowledges a finding: on one resource, with the
 * reason, through CDK's own `Validations.of(...).acknowledge`.
 */
import { Stack, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag'
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js'
import type { IConstruct } from 'constructs'

export function addNagPacks(app: IConstruct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app))
}

/**
 * Context key: when true, `acknowledge` records nothing, so the packs report every finding. The infra tests
 * build the app once so, to check that each acknowledgement answers exactly one finding on one resource.
 */
export const WITHOUT_ACKNOWLEDGEMENTS = 'hotspot:withoutAcknowledgements'

/**
 * Acknowledges one finding of one rule on one resource. `resource` is the resource itself (a CfnResource) or
 * the L2 construct that wraps exactly one (a Queue, a Policy); never a stack or a construct holding several.
 */
export function acknowledge(resource: IConstruct, id: string, reason: string): void {
  if (!reason.trim()) throw new Error(`${resource.node.path}: acknowledging ${id} needs a reason`)
  if (resource.node.tryGetContext(WITHOUT_ACKNOWLEDGEMENTS) === true) return
  Validations.of(resource).acknowledge({ id, reason })
}

/**
 * Acknowledges the AwsSolutions-IAM5 finding for one wildcard resource (an object-key prefix, say) of one
 * IAM policy: the finding id is built the way cdk-nag prints the resource, so it matches that resource only.
 */
export function acknowledgeWildcardResource(policy: IConstruct, resourceArn: string, reason: string): void {
  const flat = flattenCfnReference(Stack.of(policy).resolve(resourceArn))
  if (!flat.includes('*')) return
  acknowledge(policy, `AwsSolutions-IAM5[Resource::${flat}]`, reason)
}
