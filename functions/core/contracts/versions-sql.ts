/**
 * The one statement of which stored version of a record is current (DESIGN sections 4 and 5), written as SQL
 * from the feed contracts: each feed's staging query (queries/staging/stg_<feed>.sql) and the view `<feed>` that
 * both the local DuckDB lake and the Glue catalog create (queries/views/<feed>.sql). `npm run generate:sql`
 * writes them; they are checked in so that auditors read what runs, and tests/unit/versions-sql.test.ts fails
 * when they differ from what this module generates.
 */
import { CELL_SIZE_M } from '../reference/grid.ts'
import { type Column, columnsOf } from './columns.ts'
import { KOPER_FILE, koperSql } from './dosage.ts'
import { CONTRACTS, curatedColumns, FEED_NAMES, type FeedName } from './feeds.ts'
import { PRESENCE_SETTINGS_FILE, presenceSettingsSql } from './presence.ts'
import { FEED_STAGING, londonDaySql, londonHourSql, type StagingExpression } from './staging-columns.ts'

/**
 * A record's versions in the order they replace one another: by drop date, then ingestion time (a corrected
 * re-drop of a day), then drop id and source line, which only make the order total.
 */
const VERSION_ORDER = ['drop_date', 'ingested_at', 'drop_id', 'source_line']

const DO_NOT_EDIT =
  '-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit'
const COMMENT_WIDTH = 116

/** The checked-in view of a feed, relative to queries/. */
export const feedViewFile = (feed: FeedName) => `views/${feed}.sql`
/** The checked-in staging query of a feed, relative to queries/. */
export const stagingFile = (feed: FeedName) => `staging/stg_${feed}.sql`

/**
 * The line as it is, or its long form's lines where it would pass SQL_WIDTH once indented in a select list and
 * followed by `trailing` (the item's alias, when it ends on this line).
 */
function wrapped(line: string, long: string, trailing = ''): string[] {
  return line.length + trailing.length + SELECT_INDENT > SQL_WIDTH ? long.split('\n') : [line]
}

/** The line width of the SQL lint (.sqlfluff) and the deepest indent a generated select list gives a line. */
const SQL_WIDTH = 120
const SELECT_INDENT = 4

/**
 * The drop date of a row's next version: `lead(drop_date)` over the record's versions in VERSION_ORDER. A key of
 * several columns is partitioned by all but its last column, which leads the order: one partition per device
 * rather than one per ping, which DuckDB sorts in much less time (10 million pings: 3.6 s -> 2.5 s, the presence
 * query 9.0 s -> 6.5 s); the next row is then the record's next version only when its last key column is the
 * same, which the case checks.
 */
function nextVersionSql(feed: FeedName): string[] {
  const key = CONTRACTS[feed].key
  if (key.length === 1) {
    const window = `partition by ${key[0]} order by ${VERSION_ORDER.join(', ')}`
    return wrapped(
      `lead(drop_date) over (${window})`,
      `lead(drop_date) over (\n  ${window}\n)`,
      ' as valid_to,',
    )
  }
  const last = key.at(-1) as string
  const window = `partition by ${key.slice(0, -1).join(', ')} order by ${[last, ...VERSION_ORDER].join(', ')}`
  return [
    'case',
    '  when',
    `    lead(${last}) over (`,
    `      ${window}`,
    `    ) = ${last}`,
    '    then lead(drop_date) over (',
    `      ${window}`,
    '    )',
    'end',
  ]
}

/**
 * `valid_to` of a version: the drop date of the version that replaced it, null while current. A row without a
 * natural key (police.uk anti-social behaviour) gets a new id in every drop, so it cannot be matched across
 * drops: it is current only while its drop is the latest of its drop date (a corrected re-drop of a day
 * replaces it wholesale), and otherwise ends the day it began. Only feeds whose contract has `derivedKeys` get
 * that clause: its window over a whole drop date costs a sort of every stored row.
 */
function validToSql(feed: FeedName): string[] {
  if (!CONTRACTS[feed].derivedKeys) return nextVersionSql(feed)
  if (CONTRACTS[feed].key.length > 1) throw new Error(`${feed}: derivedKeys is for a key of one column`)
  const [first, ...rest] = nextVersionSql(feed)
  return [
    'case',
    '  when',
    '    key_derived',
    '    and drop_id <> first_value(drop_id) over (partition by drop_date order by ingested_at desc, drop_id desc)',
    '    then drop_date',
    `  else ${first}`,
    ...rest.map((line) => `  ${line}`),
    'end',
  ]
}

function validToDescription(feed: FeedName): string {
  const versions =
    'the drop date of the version that replaced it (null while current). A record (rows sharing its key) has ' +
    `its versions ordered by ${VERSION_ORDER.join(', ')}`
  return CONTRACTS[feed].derivedKeys
    ? `${versions}; a row without a natural key (key_derived) is current only while its drop is the latest of its ` +
        'drop date (by ingested_at, then drop_id), and else ends the day it began'
    : `${versions}; every row has a natural key`
}

interface DerivedColumn {
  /** Output column names the description covers, and the SQL of each. */
  columns: { name: string; sql: string }[]
  description: string
}

/**
 * The columns every staging query derives from its contract: the London day and hour of each timestamp
 * (`<stem>_at` gives `<stem>_date` and `<stem>_hour`) and, for a located feed, its 25 m grid cell; then the
 * feed's own (staging-columns.ts).
 */
function derivedColumns(feed: FeedName): DerivedColumn[] {
  const contract = columnsOf(CONTRACTS[feed].schema)
  const times = contract
    .filter((c) => c.kind === 'timestamp')
    .map((c): DerivedColumn => {
      const stem = /^(.+)_at$/.exec(c.name)?.[1]
      if (!stem) throw new Error(`${feed}.${c.name}: a timestamp column's name must end in _at`)
      return {
        columns: [
          { name: `${stem}_date`, sql: londonDaySql(c.name) },
          { name: `${stem}_hour`, sql: londonHourSql(c.name) },
        ],
        description: `the London calendar day and hour of ${c.name}`,
      }
    })
  const located = ['easting', 'northing'].every((name) => contract.some((c) => c.name === name))
  const cell: DerivedColumn[] = located
    ? [
        {
          columns: [
            { name: 'cell_x', sql: `cast(floor(easting / ${CELL_SIZE_M}e0) as integer)` },
            { name: 'cell_y', sql: `cast(floor(northing / ${CELL_SIZE_M}e0) as integer)` },
          ],
          description: `the ${CELL_SIZE_M} m British National Grid cell (as area_cells)`,
        },
      ]
    : []
  const extras = (FEED_STAGING[feed].extras ?? []).map(
    (extra: StagingExpression): DerivedColumn => ({
      columns: [{ name: extra.name, sql: extra.sql }],
      description: extra.description ?? '',
    }),
  )
  return [...times, ...cell, ...extras]
}

/** `text` as `--` comment lines of at most COMMENT_WIDTH characters, continuation lines indented two more. */
function comment(text: string, indent = ''): string[] {
  const lines: string[] = []
  let line = `-- ${indent}`
  for (const word of text.split(' ')) {
    const next = line.endsWith(' ') ? `${line}${word}` : `${line} ${word}`
    if (next.length > COMMENT_WIDTH && line.trim() !== '--') {
      lines.push(line)
      line = `-- ${indent}  ${word}`
    } else line = next
  }
  return [...lines, line]
}

/** SQL lines, each indented by `by` spaces. */
const indented = (lines: string[], by: number) => lines.map((l) => `${' '.repeat(by)}${l}`)

/** A select-list item of one or more lines, `as name` after its last line. */
function item(sql: string[], name: string): string[] {
  return [...sql.slice(0, -1), `${sql.at(-1)} as ${name}`]
}

/** Items joined by commas, as indented lines. */
function selectList(items: string[][], by: number): string[] {
  return items.flatMap((lines, i) =>
    indented(i === items.length - 1 ? lines : [...lines.slice(0, -1), `${lines.at(-1)},`], by),
  )
}

const names = (columns: Column[]) => columns.map((c) => [c.name])

/** queries/staging/stg_<feed>.sql: every stored version of the feed's records, with its validity. */
export function feedStagingSql(feed: FeedName): string {
  const staging = FEED_STAGING[feed]
  const versions = `${feed}_versions`
  const derived = derivedColumns(feed)
  const header = [
    DO_NOT_EDIT,
    `-- grain: one row per stored version of ${staging.record} (key: ${CONTRACTS[feed].key.join(', ')})`,
    '-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).',
    `-- columns: every column of ${versions} except the dt partition, and`,
    '--   valid_from: the drop date of this version',
    ...comment(`valid_to: ${validToDescription(feed)}`, '  '),
    ...derived.flatMap((d) => comment(`${d.columns.map((c) => c.name).join(', ')}: ${d.description}`, '  ')),
    ...(staging.notes ?? []).flatMap((note) => comment(note)),
  ]
  const helpers = staging.helpers ?? []
  const source = helpers.length > 0 ? 'versions' : versions
  const ctes = helpers.length
    ? [
        'with versions as (',
        '  select',
        ...selectList([['*'], ...helpers.map((h) => item(h.sql.split('\n'), h.name))], 4),
        `  from ${versions}`,
        '),',
        '',
        'final as (',
      ]
    : ['with final as (']
  const columns = [
    ...names(curatedColumns(CONTRACTS[feed])),
    ['drop_date as valid_from'],
    item(validToSql(feed), 'valid_to'),
    ...derived.flatMap((d) => d.columns.map((c) => item(c.sql.split('\n'), c.name))),
  ]
  return [
    ...header,
    ...ctes,
    '  select',
    ...selectList(columns, 4),
    `  from ${source}`,
    ')',
    '',
    'select * from final',
    '',
  ].join('\n')
}

/**
 * queries/views/<feed>.sql: the view `<feed>`, each record's current version (the version whose valid_to, as
 * in its staging query, is null), with the curated columns. The same text on DuckDB and in Glue for Athena.
 */
export function feedViewSql(feed: FeedName): string {
  const header = [
    DO_NOT_EDIT,
    ...comment(
      `the view ${feed} (the local DuckDB lake and the Glue catalog): each record's current version, the stored ` +
        `row whose valid_to (as in ${stagingFile(feed).replace('staging/', 'queries/staging/')}) is null, with ` +
        `every column of ${feed}_versions except the dt partition. valid_to: ${validToDescription(feed)}`,
    ),
  ]
  return [
    ...header,
    'select',
    ...selectList(names(curatedColumns(CONTRACTS[feed])), 2),
    'from (',
    '  select',
    ...selectList([['*'], item(validToSql(feed), 'valid_to')], 4),
    `  from ${feed}_versions`,
    ') as versions',
    'where valid_to is null',
    '',
  ].join('\n')
}

/** Every generated file, by its path relative to queries/. */
export function generatedSqlFiles(): Map<string, string> {
  return new Map([
    ...FEED_NAMES.flatMap((feed): [string, string][] => [
      [stagingFile(feed), feedStagingSql(feed)],
      [feedViewFile(feed), feedViewSql(feed)],
    ]),
    [PRESENCE_SETTINGS_FILE, presenceSettingsSql()],
    [KOPER_FILE, koperSql()],
  ])
}
