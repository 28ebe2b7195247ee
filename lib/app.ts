/**
 * Builds the CDK app: the validated context, the stack, and the cdk-nag packs. bin/app.ts (what `cdk` runs)
 * and the infra tests both build it here, so the tests check the app that is deployed.
 */
import { App, type AppProps } from 'aws-cdk-lib'
import { parseContext } from './config.ts'
import { HotspotStack } from './hotspot-stack.ts'
import { addNagPacks } from './nag.ts'

export interface HotspotApp {
  readonly app: App
  readonly stack: HotspotStack
}

export interface BuildOptions {
  /**
   * Run the cdk-nag packs on synthesis (the tests run them directly).
   * @default true
   */
  readonly nag?: boolean
}

export function buildApp(props: AppProps = {}, options: BuildOptions = {}): HotspotApp {
  const app = new App(props)
  const config = parseContext((key) => app.node.tryGetContext(key))
  const stack = new HotspotStack(app, config.stackName, {
    config,
    description: `Hotspot policing pipeline for ${config.forceArea}: ingest, Athena marts, weekly and monthly reports`,
    // no env: the template is environment-agnostic (synthesized offline, the same for every account), and
    // deploys to the account and region of the credentials `cdk deploy` runs with
  })
  if (options.nag ?? true) addNagPacks(app)
  return { app, stack }
}
