import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm'
import { ConfigError, pseudonymKeyText } from '../core/config.ts'
import type { PseudonymKey } from '../core/ingest/pseudonym.ts'

/**
 * Reads the pseudonymisation key from its SSM parameter, decrypted. Only a SecureString is accepted: a plain
 * String parameter is stored unencrypted and readable by anyone allowed ssm:GetParameter on it. Every refusal
 * names the parameter and never shows its value.
 */
export async function readPseudonymKey(
  parameterName: string,
  client: SSMClient = new SSMClient({}),
): Promise<PseudonymKey> {
  const refused = (problem: string) =>
    new ConfigError('ingest function', [
      `SSM parameter ${parameterName} (the pseudonymisation key): ${problem}`,
    ])
  let parameter: { Type?: string; Value?: string } | undefined
  try {
    parameter = (await client.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true })))
      .Parameter
  } catch (error) {
    throw refused(`cannot be read: ${(error as Error).name}: ${(error as Error).message}`)
  }
  if (parameter?.Type !== 'SecureString') {
    throw refused(`is a ${parameter?.Type ?? 'parameter of no type'}, not a SecureString`)
  }
  const parsed = pseudonymKeyText.safeParse(parameter.Value ?? '')
  if (!parsed.success) throw refused(parsed.error.issues[0]?.message ?? 'is not a key')
  return parsed.data
}
