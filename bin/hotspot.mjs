#!/usr/bin/env node
// `npx hotspot`, `npm run hotspot`: the command table (hotspot.ts), built when its sources changed (built-cli.mjs)
import { runBuilt } from './built-cli.mjs'

await runBuilt('hotspot')
