// `npm start`: the whole pipeline on the demo city (start.ts), built when its sources changed (built-cli.mjs)
import { runBuilt } from './built-cli.mjs'

await runBuilt('start')
