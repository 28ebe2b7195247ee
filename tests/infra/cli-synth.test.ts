/**
 * The real CLI, as `npm run synth` runs it: `cdk synth` offline, without credentials, with CloudFormation's own
 * template rules and both cdk-nag packs. And without the required context, a clear error instead of a template.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { EXAMPLE_CONTEXT } from '../../lib/config.ts'
import { ROOT } from './synth.ts'

const run = promisify(execFile)

/** No credentials and no account: the synthesis must not need either. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CI: 'true' }
  for (const name of Object.keys(env)) {
    if (/^AWS_|^CDK_DEFAULT_/.test(name)) delete env[name]
  }
  env.AWS_CONFIG_FILE = '/dev/null'
  env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null'
  return env
}

async function cdk(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(ROOT, 'node_modules/.bin/cdk'), args, {
      cwd: ROOT,
      env: offlineEnv(),
      maxBuffer: 64 * 1024 * 1024,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe('cdk synth (the CLI)', () => {
  it('synthesizes the app offline with the example context, cdk-nag and CloudFormation rules passing', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'hotspot-cdk-cli-'))
    const result = await cdk(['synth', '--quiet', '--no-notices', '-c', 'example=true', '--output', out])
    expect(result.code, result.stderr.slice(-4000)).toBe(0)
    const templateFile = path.join(out, 'Hotspot.template.json')
    expect(existsSync(templateFile)).toBe(true)
    const template = JSON.parse(readFileSync(templateFile, 'utf8'))
    expect(Object.keys(template.Resources).length).toBeGreaterThan(50)
    // the example context supplies the first drop date the projections start at
    const incidents = Object.values<{
      Type: string
      Properties: { TableInput: { Name: string; Parameters: Record<string, string> } }
    }>(template.Resources).find(
      (r) => r.Type === 'AWS::Glue::Table' && r.Properties.TableInput.Name === 'incidents_versions',
    )
    expect(incidents?.Properties.TableInput.Parameters['projection.dt.range']).toBe(
      `${EXAMPLE_CONTEXT.firstDropDate},NOW+2DAYS`,
    )
    // the report CDK writes after running the validation plugins: nothing left
    const report = JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8'))
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([])
  }, 240_000)

  it('refuses to synthesize without the required context, naming each missing value', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'hotspot-cdk-cli-'))
    const result = await cdk([
      'synth',
      '--quiet',
      '--no-notices',
      '-c',
      'sender=not-an-address',
      '--output',
      out,
    ])
    expect(result.code).not.toBe(0)
    const output = result.stdout + result.stderr
    expect(output).toContain('Invalid CDK context for the hotspot stack')
    expect(output).toContain('sender: "not-an-address" is not an email address')
    expect(output).toContain('forceArea: is required')
    expect(output).toContain('alertEmail: is required')
    expect(output).toContain('firstDropDate: is required')
    expect(existsSync(path.join(out, 'Hotspot.template.json'))).toBe(false)
  }, 120_000)
})
