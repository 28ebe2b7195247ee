import type { DuckDBConnection } from '@duckdb/node-api'

/** The table `points (n, lat, lon)` of the given lat/lon pairs, n their index. */
export async function loadPoints(db: DuckDBConnection, points: [number, number][]): Promise<void> {
  await db.run('create table points (n integer, lat double, lon double)')
  const appender = await db.createAppender('points')
  points.forEach(([lat, lon], n) => {
    appender.appendInteger(n)
    appender.appendDouble(lat)
    appender.appendDouble(lon)
    appender.endRow()
  })
  appender.closeSync()
}
