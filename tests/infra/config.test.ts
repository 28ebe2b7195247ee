/**
 * The deployment's context, validated at synth time (lib/config.ts), and the one context value that changes
 * the template's shape beyond a string: who may assume the auditors role. No bundling here: fast.
 */
import { App, Stack } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import { describe, expect, it } from 'vitest'
import { Auditors } from '../../lib/auditors.ts'
import { Catalog } from '../../lib/catalog.ts'
import { ContextError, EXAMPLE_CONTEXT, parseContext } from '../../lib/config.ts'
import { Storage } from '../../lib/storage.ts'
import { cdkJsonContext } from './synth.ts'

const lookup = (context: Record<string, unknown>) => (key: string) => context[key]

function problems(context: Record<string, unknown>): string[] {
  try {
    parseContext(lookup(context))
  } catch (error) {
    if (error instanceof ContextError) return error.problems
    throw error
  }
  return []
}

describe('CDK context', () => {
  it('requires the sender, the force, the alert address and the first drop date, and says how to give them', () => {
    const listed = problems({})
    expect(listed).toEqual([
      expect.stringMatching(/^sender: is required: the From address of every report/),
      expect.stringMatching(/^forceArea: is required/),
      expect.stringMatching(/^alertEmail: is required/),
      expect.stringMatching(/^firstDropDate: is required: the date of the force's first drop \(YYYY-MM-DD/),
      expect.stringMatching(
        /^pseudonymKeyParameter: is required: the name of the SecureString SSM parameter holding the key/,
      ),
    ])
    expect(() => parseContext(lookup({}))).toThrow(/-c key=value/)
  })

  it('rejects malformed values with the value and what was expected', () => {
    expect(
      problems({
        ...EXAMPLE_CONTEXT,
        sender: 'reports at force',
        alertEmail: 'ops@',
        auditorPrincipalArn: 'auditor',
        logRetentionDays: '100',
        recordsLockMode: 'STRICT',
        stackName: '9lives',
        firstDropDate: '2025-02-29',
      }),
    ).toEqual([
      expect.stringMatching(/^stackName: "9lives" is not a usable stack name/),
      expect.stringMatching(/^sender: "reports at force" is not an email address/),
      expect.stringMatching(/^alertEmail: "ops@" is not an email address/),
      expect.stringMatching(/^firstDropDate: "2025-02-29" is not a date \(YYYY-MM-DD\)/),
      expect.stringMatching(/^auditorPrincipalArn: "auditor" is not an IAM principal ARN/),
      expect.stringMatching(/^logRetentionDays: must be one of CloudWatch Logs' retention periods/),
      expect.stringMatching(/^recordsLockMode: must be GOVERNANCE/),
    ])
  })

  it('takes the key parameter by name and a positive accuracy limit (default 50 m)', () => {
    expect(parseContext(lookup(EXAMPLE_CONTEXT))).toMatchObject({
      pseudonymKeyParameter: '/hotspot/pseudonym-key',
      pingAccuracyLimitM: 50,
    })
    expect(
      parseContext(
        lookup({ ...EXAMPLE_CONTEXT, pseudonymKeyParameter: 'pings-key', pingAccuracyLimitM: 35 }),
      ),
    ).toMatchObject({ pseudonymKeyParameter: 'pings-key', pingAccuracyLimitM: 35 })
    expect(
      problems({
        ...EXAMPLE_CONTEXT,
        pseudonymKeyParameter: 'arn:aws:ssm:eu-west-2:1:parameter/k',
        pingAccuracyLimitM: '0',
      }),
    ).toEqual([
      expect.stringMatching(
        /^pseudonymKeyParameter: "arn:aws:ssm:eu-west-2:1:parameter\/k" is not an SSM parameter name/,
      ),
      'pingAccuracyLimitM: is not a positive number of metres',
    ])
  })

  it('takes the first drop date as a day from 2000-01-01 on', () => {
    for (const bad of ['2025-1-01', '01/04/2025', '2025-04-01T00:00:00Z', 'yesterday', '2025-13-01']) {
      expect(problems({ ...EXAMPLE_CONTEXT, firstDropDate: bad }), bad).toEqual([
        `firstDropDate: ${JSON.stringify(bad)} is not a date (YYYY-MM-DD): the force's first drop date`,
      ])
    }
    expect(problems({ ...EXAMPLE_CONTEXT, firstDropDate: '1999-12-31' })).toEqual([
      'firstDropDate: "1999-12-31" is before 2000-01-01, the earliest date a drop may carry',
    ])
    expect(parseContext(lookup({ ...EXAMPLE_CONTEXT, firstDropDate: ' 2024-02-29 ' })).firstDropDate).toBe(
      '2024-02-29',
    )
  })

  it('defaults only what any force can live with', () => {
    const config = parseContext(lookup({ ...EXAMPLE_CONTEXT }))
    expect(config).toEqual({
      stackName: 'Hotspot',
      sender: EXAMPLE_CONTEXT.sender,
      forceArea: EXAMPLE_CONTEXT.forceArea,
      alertEmail: EXAMPLE_CONTEXT.alertEmail,
      firstDropDate: EXAMPLE_CONTEXT.firstDropDate,
      pseudonymKeyParameter: EXAMPLE_CONTEXT.pseudonymKeyParameter,
      pingAccuracyLimitM: 50,
      auditorPrincipalArn: undefined,
      logRetentionDays: 90,
      logLevel: 'INFO',
      recordsLock: { mode: 'GOVERNANCE', days: 2557 },
    })
  })

  it('takes numbers from the command line as strings, and an empty value as not given', () => {
    const config = parseContext(
      lookup({
        ...EXAMPLE_CONTEXT,
        logRetentionDays: '365',
        recordsLockDays: '3653',
        auditorPrincipalArn: '',
      }),
    )
    expect(config.logRetentionDays).toBe(365)
    expect(config.recordsLock.days).toBe(3653)
    expect(config.auditorPrincipalArn).toBeUndefined()
  })

  it('example=true fills in the example values, and given values win', () => {
    const config = parseContext(lookup({ example: 'true', forceArea: 'Essex Police' }))
    expect(config.sender).toBe(EXAMPLE_CONTEXT.sender)
    expect(config.forceArea).toBe('Essex Police')
  })
})

describe('auditors role trust', () => {
  it('trusts exactly the configured principal when one is given', () => {
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'AuditorsTrust')
    const storage = new Storage(stack, 'Storage', {
      namePrefix: 'auditorstrust',
      recordsLock: { mode: 'GOVERNANCE', days: 2557 },
    })
    const catalog = new Catalog(stack, 'Catalog', {
      dataBucket: storage.data,
      resultsBucket: storage.results,
      key: storage.key,
      partitionStart: EXAMPLE_CONTEXT.firstDropDate as string,
    })
    const principal = 'arn:aws:iam::111122223333:role/FunderAudit'
    new Auditors(stack, 'Auditors', {
      catalog,
      data: storage.data,
      principalArn: principal,
    })
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'AuditorsTrust-auditors',
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: principal } }],
      },
    })
  })
})
