/**
 * `npm run generate:sql`: writes the SQL generated from the feed contracts (functions/core/contracts/versions-sql.ts)
 * into queries/: each feed's staging query and its current-version view. Run it after changing a contract or
 * staging-columns.ts, and check the files in; tests/unit/versions-sql.test.ts fails until then.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatedSqlFiles } from '../functions/core/contracts/versions-sql.ts'

const queries = fileURLToPath(new URL('../queries/', import.meta.url))
const files = generatedSqlFiles()
// views/ holds generated files only: a feed no longer in the contracts loses its view
for (const stale of readdirSync(path.join(queries, 'views'), { withFileTypes: true }))
  if (!files.has(`views/${stale.name}`)) rmSync(path.join(queries, 'views', stale.name))
for (const [file, text] of files) {
  mkdirSync(path.dirname(path.join(queries, file)), { recursive: true })
  writeFileSync(path.join(queries, file), text)
}
console.info(`wrote ${files.size} files under ${queries}`)
