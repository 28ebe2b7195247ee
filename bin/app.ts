#!/usr/bin/env -S node --import tsx
import { buildApp } from '../lib/app.ts'
/**
 * The CDK app (`cdk synth`, `cdk deploy`; cdk.json runs it with tsx). Configuration comes from CDK context:
 * README.md, "Deploy to AWS".
 */
import { ContextError } from '../lib/config.ts'

try {
  buildApp().app.synth()
} catch (error) {
  if (!(error instanceof ContextError)) throw error
  console.error(error.message)
  process.exitCode = 1
}
