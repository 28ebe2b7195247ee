import { cp } from 'node:fs/promises'
import path from 'node:path'
import { inject } from 'vitest'
import type { ProvidedDemoCity } from './demo-city-setup.ts'

/** The run's shared demo city (tests/helpers/demo-city-setup.ts). Read it; never write to its lake. */
export function demoCity(): ProvidedDemoCity {
  return inject('demoCity')
}

/**
 * A copy of the shared city's lake under `root`, for a test that runs marts or ingests more into it: as ingested,
 * or with the presence of its ping period measured (`presence`).
 */
export async function copyDemoLake(
  root: string,
  which: 'ingested' | 'presence' = 'ingested',
): Promise<string> {
  const lake = path.join(root, 'lake')
  const city = demoCity()
  await cp(which === 'presence' ? city.presenceLake : city.lake, lake, { recursive: true })
  return lake
}
