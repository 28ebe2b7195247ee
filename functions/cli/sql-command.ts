import { FsObjectStore } from '../adapters/fs-object-store.ts'
import { martSql } from '../core/analytics/mart-sql.ts'
import { MART_NAMES, MART_PLACEHOLDERS, martParameterNames } from '../core/analytics/marts.ts'
import { martParameters } from '../core/analytics/run.ts'
import { latestRun } from '../core/reports/results.ts'
import { ENGINE_NAMES, ENGINE_STAGING, type EngineName } from './sql-engines.ts'

export interface SqlCommandOptions {
  lake: string
  engine: string
  asOf: string
  /** Default: the latest loaded into the lake, as `hotspot run` takes it. */
  weightsVersion?: string
  registerVersion?: string
  /** Default: the latest loaded, or none (null) when no population is loaded. */
  populationVersion?: string
}

export class SqlCommandError extends Error {
  override name = 'SqlCommandError'
}

function isEngineName(name: string): name is EngineName {
  return Object.hasOwn(ENGINE_STAGING, name)
}

/**
 * `hotspot sql`: the SQL an engine runs for a mart in a nightly run (every mart) as of a date, exactly as
 * runMarts sends it (martSql). Reads the lake's reference manifests only; opens no engine.
 */
export async function runSqlCommand(mart: string, options: SqlCommandOptions): Promise<string> {
  if (!(MART_NAMES as readonly string[]).includes(mart))
    throw new SqlCommandError(
      `unknown mart ${JSON.stringify(mart)}; expected one of ${MART_NAMES.join(', ')}`,
    )
  const { engine } = options
  if (!isEngineName(engine))
    throw new SqlCommandError(
      `unknown engine ${JSON.stringify(engine)}; expected one of ${ENGINE_NAMES.join(', ')}`,
    )
  const store = new FsObjectStore(options.lake)
  const parameters = await martParameters(store, options.asOf, options)
  // the latest presence_visits run as of the date (a nightly run sums the one it makes just before), or the
  // placeholder of the auditors' saved query when there is none yet
  const presenceVisitsRun = martParameterNames(mart).includes('presence_visits_run')
    ? await latestRun(store, options.asOf, ['presence_visits']).then(
        (run) => run.run_id,
        () => MART_PLACEHOLDERS.presence_visits_run,
      )
    : null
  return martSql(
    ENGINE_STAGING[engine],
    mart,
    { ...parameters, presence_visits_run: presenceVisitsRun },
    MART_NAMES,
  )
}
