import { cp } from 'node:fs/promises'
import path from 'node:path'
import { inject } from 'vitest'
import type { ProvidedDemoCity } from './demo-city-setup.ts'

/** The run's shared demo city (tests/helpers/demo-city-setup.ts). Read it; never write to its lake. */
export function demoCity(): ProvidedDemoCity {
  return inject('demoCity')
}

/** A copy of the shared city's lake under `root`, for a test that runs marts or ingests more into it. */
export async function copyDemoLake(root: string): Promise<string> {
  const lake = path.join(root, 'lake')
  await cp(demoCity().lake, lake, { recursive: true })
  return lake
}
