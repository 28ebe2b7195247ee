import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { App, Stack, Validations } from 'aws-cdk-lib'
import { Template } from 'aws-cdk-lib/assertions'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as s3 from 'aws-cdk-lib/aws-s3'
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag'
import { TrinoSQL } from 'dt-sql-parser'
import { parquetMetadata, type SchemaElement } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbLake } from '../../functions/adapters/duckdb-lake.ts'
import { FsObjectStore } from '../../functions/adapters/fs-object-store.ts'
import {
  composeMart,
  MART_NAMES,
  MART_PLACEHOLDERS,
  martParameterNames,
  martQuery,
  martTemplate,
  stagingQueries,
  stripHeader,
} from '../../functions/core/analytics/marts.ts'
import type { Column, ColumnKind } from '../../functions/core/contracts/columns.ts'
import { CONTRACTS, curatedColumns, FEED_NAMES } from '../../functions/core/contracts/feeds.ts'
import { ParquetSink } from '../../functions/core/parquet/writer.ts'
import { loadReference } from '../../functions/core/reference/load.ts'
import { POPULATION_COLUMNS } from '../../functions/core/reference/population.ts'
import { AREA_CELL_COLUMNS, HOTSPOT_COLUMNS } from '../../functions/core/reference/register.ts'
import { HARM_WEIGHT_COLUMNS } from '../../functions/core/reference/weights.ts'
import {
  AUDITOR_ACTIONS,
  Catalog,
  type CatalogProps,
  GLUE_READ_ACTIONS,
  KMS_ACTIONS,
  namedQuerySpecs,
  QUERY_ACTIONS,
  RESULTS_BUCKET_ACTIONS,
  RESULTS_OBJECT_ACTIONS,
} from '../../lib/catalog.ts'
import { PIPELINE_TABLES, PIPELINE_VIEWS } from '../../lib/glue-schema.ts'

/** Written out here, not imported: the mapping under test (DESIGN 3: the Glue columns derive from the contract). */
const EXPECTED_GLUE_TYPE: Record<ColumnKind, string> = {
  string: 'string',
  timestamp: 'timestamp',
  date: 'date',
  int: 'int',
  double: 'double',
  boolean: 'boolean',
}
const EXPECTED_TRINO_TYPE: Record<ColumnKind, string> = {
  string: 'varchar',
  timestamp: 'timestamp(3)',
  date: 'date',
  int: 'integer',
  double: 'double',
  boolean: 'boolean',
}
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
/** The first drop date these tests give the catalog: every date projection starts there. */
const FIRST_DROP_DATE = '2024-04-01'
const DATE_PROJECTION = {
  type: 'date',
  format: 'yyyy-MM-dd',
  range: `${FIRST_DROP_DATE},NOW+2DAYS`,
  interval: '1',
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON
type Json = any

function buildStack(props: Partial<CatalogProps> = {}) {
  const app = new App()
  const stack = new Stack(app, 'CatalogTest')
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true })
  const dataBucket = new s3.Bucket(stack, 'Data', { encryptionKey: key })
  const resultsBucket = new s3.Bucket(stack, 'Results', { encryptionKey: key })
  const catalog = new Catalog(stack, 'Catalog', {
    dataBucket,
    resultsBucket,
    key,
    partitionStart: FIRST_DROP_DATE,
    ...props,
  })
  return { stack, key, dataBucket, resultsBucket, catalog }
}

const built = buildStack()
const { stack, key, dataBucket, resultsBucket, catalog } = built
const pipelineRole = new iam.Role(stack, 'PipelineRole', {
  assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
})
const auditorsRole = new iam.Role(stack, 'AuditorsRole', { assumedBy: new iam.AccountRootPrincipal() })
catalog.grantQuery(pipelineRole, 'pipeline')
catalog.grantQuery(auditorsRole, 'auditors')
const template: Json = Template.fromStack(stack).toJSON()
const resources: [string, Json][] = Object.entries(template.Resources)
const ofType = (type: string) => resources.filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, ...r }))
const logicalId = (construct: { node: { defaultChild?: unknown } } | unknown) =>
  stack.getLogicalId(
    ((construct as { node?: { defaultChild?: unknown } }).node?.defaultChild ?? construct) as never,
  )
const r = (value: unknown) => stack.resolve(value)

function table(name: string): Json {
  const found = ofType('AWS::Glue::Table').filter((t) => t.Properties.TableInput.Name === name)
  expect(found, `Glue table ${name}`).toHaveLength(1)
  return found[0].Properties
}
const dataUrl = (key: string) => r(`s3://${dataBucket.bucketName}/${key}`)

function expectProjectedDate(input: Json, column: string, template: string) {
  const p = input.Parameters
  expect(p['projection.enabled']).toBe('true')
  expect(p[`projection.${column}.type`]).toBe(DATE_PROJECTION.type)
  expect(p[`projection.${column}.format`]).toBe(DATE_PROJECTION.format)
  expect(p[`projection.${column}.range`]).toBe(DATE_PROJECTION.range)
  expect(p[`projection.${column}.interval`]).toBe(DATE_PROJECTION.interval)
  expect(p[`projection.${column}.interval.unit`]).toBe('DAYS')
  expect(p['storage.location.template']).toEqual(dataUrl(template))
}

function expectParquet(input: Json) {
  const sd = input.StorageDescriptor
  expect(input.TableType).toBe('EXTERNAL_TABLE')
  expect(input.Parameters.classification).toBe('parquet')
  expect(sd.SerdeInfo.SerializationLibrary).toBe(PARQUET_SERDE)
  expect(sd.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat')
  expect(sd.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat')
}

const columnsOf = (input: Json) =>
  input.StorageDescriptor.Columns.map((c: Json) => ({ name: c.Name, type: c.Type }))

function viewDefinition(input: Json): {
  originalSql: string
  schema: string
  columns: { name: string; type: string }[]
} {
  const m = /^\/\* Presto View: (.+) \*\/$/.exec(input.ViewOriginalText)
  expect(m, 'Presto view text').not.toBeNull()
  return JSON.parse(Buffer.from((m as RegExpExecArray)[1] as string, 'base64').toString('utf8'))
}

const parser = new TrinoSQL()

describe('Glue tables of the feeds', () => {
  it.each(FEED_NAMES)(
    '%s_versions has every contract and lineage column, in order, with its type',
    (feed) => {
      const input = table(`${feed}_versions`).TableInput
      const expected = curatedColumns(CONTRACTS[feed]).map((c) => ({
        name: c.name,
        type: EXPECTED_GLUE_TYPE[c.kind],
      }))
      expect(columnsOf(input)).toEqual(expected)
      // the lineage columns, spelled out (DESIGN 3: every row gets them at ingest)
      expect(columnsOf(input).slice(-5)).toEqual([
        { name: 'drop_id', type: 'string' },
        { name: 'drop_date', type: 'date' },
        { name: 'source_line', type: 'int' },
        { name: 'ingested_at', type: 'timestamp' },
        { name: 'key_derived', type: 'boolean' },
      ])
      expectParquet(input)
      expect(input.StorageDescriptor.Location).toEqual(dataUrl(`curated/${feed}/`))
    },
  )

  it.each(FEED_NAMES)(
    '%s_versions is partitioned by dt with date projection over curated/<feed>/dt=<date>/',
    (feed) => {
      const input = table(`${feed}_versions`).TableInput
      expect(input.PartitionKeys.map((k: Json) => ({ name: k.Name, type: k.Type }))).toEqual([
        { name: 'dt', type: 'date' },
      ])
      expectProjectedDate(input, 'dt', `curated/${feed}/dt=\${dt}/`)
    },
  )

  it('declares each column with the type the Parquet writer stores it as (read back from a file it wrote)', async () => {
    const glueTypeOfParquet = (e: SchemaElement) =>
      e.type === 'BYTE_ARRAY' && e.converted_type === 'UTF8'
        ? 'string'
        : e.type === 'INT64' && e.converted_type === 'TIMESTAMP_MILLIS'
          ? 'timestamp'
          : e.type === 'INT32' && e.converted_type === 'DATE'
            ? 'date'
            : e.type === 'INT32' && e.converted_type === undefined
              ? 'int'
              : e.type === 'DOUBLE'
                ? 'double'
                : e.type === 'BOOLEAN'
                  ? 'boolean'
                  : `unmapped ${e.type}/${e.converted_type}`
    const work = await mkdtemp(path.join(tmpdir(), 'hotspot-physical-'))
    const physicalColumns = async (columns: Column[]) => {
      const file = path.join(work, 'schema.parquet')
      await new ParquetSink(file, columns).finish()
      const bytes = await readFile(file)
      return parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
        .schema.slice(1)
        .map((e) => ({ name: e.name, type: glueTypeOfParquet(e) }))
    }
    try {
      for (const feed of FEED_NAMES) {
        const physical = await physicalColumns(curatedColumns(CONTRACTS[feed]))
        expect(columnsOf(table(`${feed}_versions`).TableInput), feed).toEqual(physical)
      }
      for (const mart of MART_NAMES) {
        const physical = await physicalColumns(martQuery(mart).columns)
        expect(columnsOf(table(`${mart}_runs`).TableInput), mart).toEqual(physical)
      }
    } finally {
      await rm(work, { recursive: true, force: true })
    }
  })

  it('has no crawler', () => {
    expect(ofType('AWS::Glue::Crawler')).toEqual([])
  })
})

describe('Glue tables of the marts', () => {
  it('every mart has a table and a view, and nothing else is a mart', () => {
    const names = ofType('AWS::Glue::Table').map((t) => t.Properties.TableInput.Name as string)
    expect(names.filter((n) => n.endsWith('_runs')).sort()).toEqual(MART_NAMES.map((m) => `${m}_runs`).sort())
    for (const mart of MART_NAMES) expect(names).toContain(mart)
  })

  it.each(MART_NAMES)(
    '%s_runs has the declared columns and types, partitioned by projected as_of',
    (mart) => {
      const input = table(`${mart}_runs`).TableInput
      expect(columnsOf(input)).toEqual(
        martQuery(mart).columns.map((c) => ({ name: c.name, type: EXPECTED_GLUE_TYPE[c.kind] })),
      )
      expectParquet(input)
      expect(input.StorageDescriptor.Location).toEqual(dataUrl(`results/${mart}/`))
      expect(input.PartitionKeys.map((k: Json) => ({ name: k.Name, type: k.Type }))).toEqual([
        { name: 'as_of', type: 'date' },
      ])
      expectProjectedDate(input, 'as_of', `results/${mart}/as_of=\${as_of}/`)
    },
  )

  it('maps the header types: varchar string, bigint and integer int (written as INT32), double, date, boolean', () => {
    // from the header text itself, not the parsed kinds
    const headerType = (mart: string, column: string) =>
      new RegExp(`^--\\s+${column}\\s+([a-z]+)`, 'm').exec(martQuery(mart).text)?.[1]
    const seen = new Map<string, Set<string>>()
    for (const mart of MART_NAMES) {
      for (const { name, type } of columnsOf(table(`${mart}_runs`).TableInput)) {
        const sql = headerType(mart, name) as string
        if (!seen.has(sql)) seen.set(sql, new Set())
        seen.get(sql)?.add(type)
      }
    }
    const mapping = Object.fromEntries([...seen].map(([sql, types]) => [sql, [...types]]))
    expect(mapping).toMatchObject({
      varchar: ['string'],
      bigint: ['int'],
      double: ['double'],
      date: ['date'],
    })
    for (const [sql, types] of Object.entries(mapping)) {
      expect(types, sql).toEqual([{ varchar: 'string', bigint: 'int', integer: 'int' }[sql] ?? sql])
    }
  })

  it.each(MART_NAMES)(
    'the view %s shows the latest run per as_of with the declared columns, as_of and run_id',
    (mart) => {
      const input = table(mart).TableInput
      expect(input.TableType).toBe('VIRTUAL_VIEW')
      expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' })
      const declared = martQuery(mart).columns
      const definition = viewDefinition(input)
      expect(definition.schema).toBe('hotspot')
      expect(definition.columns).toEqual([
        ...declared.map((c) => ({ name: c.name, type: EXPECTED_TRINO_TYPE[c.kind] })),
        { name: 'as_of', type: 'date' },
        { name: 'run_id', type: 'varchar' },
      ])
      expect(columnsOf(input)).toEqual([
        ...declared.map((c) => ({ name: c.name, type: EXPECTED_GLUE_TYPE[c.kind] })),
        { name: 'as_of', type: 'date' },
        { name: 'run_id', type: 'string' },
      ])
      expect(definition.originalSql).toContain(`from ${mart}_runs`)
      expect(definition.originalSql).toContain('"$path"')
      expect(parser.validate(definition.originalSql)).toEqual([])
    },
  )
})

describe('views of the feeds', () => {
  it.each(FEED_NAMES)('%s shows the current versions with the curated columns (no dt)', (feed) => {
    const input = table(feed).TableInput
    expect(input.TableType).toBe('VIRTUAL_VIEW')
    const definition = viewDefinition(input)
    const columns = curatedColumns(CONTRACTS[feed])
    expect(definition.columns).toEqual(
      columns.map((c) => ({ name: c.name, type: EXPECTED_TRINO_TYPE[c.kind] })),
    )
    expect(columnsOf(input)).toEqual(columns.map((c) => ({ name: c.name, type: EXPECTED_GLUE_TYPE[c.kind] })))
    expect(definition.originalSql).toContain(`from ${feed}_versions`)
    expect(parser.validate(definition.originalSql)).toEqual([])
  })
})

describe('reference and audit tables', () => {
  it.each([
    ['area_cells', AREA_CELL_COLUMNS],
    ['hotspots', HOTSPOT_COLUMNS],
    ['harm_weights', HARM_WEIGHT_COLUMNS],
    ['population', POPULATION_COLUMNS],
  ] as const)('%s has the columns its loader writes, unpartitioned', (name, columns) => {
    const input = table(name).TableInput
    expect(columnsOf(input)).toEqual(columns.map((c) => ({ name: c.name, type: EXPECTED_GLUE_TYPE[c.kind] })))
    expectParquet(input)
    expect(input.PartitionKeys).toEqual([])
    expect(input.StorageDescriptor.Location).toEqual(dataUrl(`reference/${name}/`))
  })

  it('quarantine reads the JSON Lines by feed (enum) and dt (date)', () => {
    const input = table('quarantine').TableInput
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe')
    expect(input.PartitionKeys.map((k: Json) => k.Name)).toEqual(['feed', 'dt'])
    expect(input.Parameters['projection.feed.type']).toBe('enum')
    expect(input.Parameters['projection.feed.values']).toBe(FEED_NAMES.join(','))
    expectProjectedDate(input, 'dt', `quarantine/\${feed}/dt=\${dt}/`)
    expect(columnsOf(input).map((c: Json) => c.name)).not.toContain('feed')
  })

  it('the manifests are read with the Ion SerDe (they are pretty-printed JSON, one document per file)', () => {
    for (const name of ['ingest_manifests', 'run_manifests']) {
      const sd = table(name).TableInput.StorageDescriptor
      expect(sd.SerdeInfo.SerializationLibrary).toBe('com.amazon.ionhiveserde.IonHiveSerDe')
      expect(sd.InputFormat).toBe('com.amazon.ionhiveserde.formats.IonInputFormat')
    }
    expect(table('ingest_manifests').TableInput.Parameters['storage.location.template']).toEqual(
      dataUrl(`manifests/ingest/\${feed}/`),
    )
    expect(table('run_manifests').TableInput.StorageDescriptor.Location).toEqual(dataUrl('manifests/runs/'))
  })

  it('every table location is a folder the loaders write only Parquet (or only their JSON) into', () => {
    for (const [name, prefix] of Object.entries(catalog.tablePrefixes)) {
      expect(prefix, name).toMatch(
        /^(curated|results|reference|quarantine|manifests\/(ingest|runs))\/([a-z_]+\/)?$/,
      )
    }
  })

  // Athena reads every object under a table's location: the weights file as given lives elsewhere
  it('reference folders hold only Parquet after loading the default weights', async () => {
    const lake = await mkdtemp(path.join(tmpdir(), 'catalog-reference-'))
    try {
      const store = new FsObjectStore(lake)
      const weights = fileURLToPath(
        new URL('../../functions/core/reference/default-weights.csv', import.meta.url),
      )
      await loadReference(store, 'weights', weights)
      const keys: string[] = []
      for await (const { key } of store.list('reference/harm_weights/')) keys.push(key)
      expect(keys.length).toBeGreaterThan(0)
      expect(keys.filter((k) => !k.endsWith('.parquet'))).toEqual([])
    } finally {
      await rm(lake, { recursive: true, force: true })
    }
  })
})

describe('Athena workgroups', () => {
  const workgroups = ofType('AWS::Athena::WorkGroup')
  const byName = (name: string) => workgroups.find((w) => w.Properties.Name === name)?.Properties

  it('has a pipeline and an auditors workgroup', () => {
    expect(workgroups.map((w) => w.Properties.Name).sort()).toEqual(['hotspot-auditors', 'hotspot-pipeline'])
    expect(catalog.pipelineWorkgroupName).toBe('hotspot-pipeline')
    expect(catalog.auditorsWorkgroupName).toBe('hotspot-auditors')
  })

  it.each([
    ['hotspot-pipeline', 'athena/pipeline/', 1024 ** 3],
    ['hotspot-auditors', 'athena/auditors/', 10 * 1024 ** 3],
  ])(
    '%s enforces its configuration: engine v3, SSE-KMS results, bytes-scanned cutoff',
    (name, prefix, cutoff) => {
      const wg = byName(name)
      const config = wg.WorkGroupConfiguration
      expect(wg.State).toBe('ENABLED')
      expect(config.EnforceWorkGroupConfiguration).toBe(true)
      expect(config.PublishCloudWatchMetricsEnabled).toBe(true)
      expect(config.EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' })
      expect(config.BytesScannedCutoffPerQuery).toBe(cutoff)
      expect(config.ResultConfiguration).toEqual({
        OutputLocation: r(`s3://${resultsBucket.bucketName}/${prefix}`),
        ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: r(key.keyArn) },
      })
    },
  )

  it('takes cutoffs and names from props, and refuses a cutoff under Athena minimum', () => {
    const custom = buildStack({
      databaseName: 'hotspot_test',
      bytesScannedCutoffPerQuery: { pipeline: 50_000_000 },
    })
    const wgs = Template.fromStack(custom.stack).findResources('AWS::Athena::WorkGroup')
    const cutoffs = Object.fromEntries(
      Object.values<Json>(wgs).map((w) => [
        w.Properties.Name,
        w.Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery,
      ]),
    )
    expect(cutoffs).toEqual({ 'hotspot_test-pipeline': 50_000_000, 'hotspot_test-auditors': 10 * 1024 ** 3 })
    expect(() => buildStack({ bytesScannedCutoffPerQuery: { auditors: 9_999_999 } })).toThrow(
      /at least 10000000/,
    )
    expect(() => buildStack({ databaseName: 'Hotspot-DB' })).toThrow(/lower case/)
    expect(() => buildStack({ partitionStart: '2020-13' })).toThrow(/not a date/)
    expect(() => buildStack({ partitionStart: '2020-02-30' })).toThrow(/not a date/)
    expect(() => buildStack({ partitionStart: '1999-12-31' })).toThrow(/before 2000-01-01/)
  })
})

describe('named queries for auditors', () => {
  const queries = ofType('AWS::Athena::NamedQuery').map((q) => q.Properties)
  const auditors = { Ref: logicalId(catalog.auditorsWorkgroup) }
  const database = { Ref: logicalId(catalog.database) }

  it('every query is saved in the auditors workgroup against the catalog database', () => {
    expect(queries.length).toBe(namedQuerySpecs().length)
    for (const q of queries) {
      expect(q.WorkGroup, q.Name).toEqual(auditors)
      expect(q.Database, q.Name).toEqual(database)
      expect(q.Name.length).toBeLessThanOrEqual(128)
      expect(q.Description.length).toBeLessThanOrEqual(1024)
    }
  })

  it.each(MART_NAMES)('%s is saved as the pipeline sends it, its parameters left to fill in', (mart) => {
    const q = queries.find((x) => x.Name === `mart_${mart}`)
    expect(q).toBeDefined()
    expect(q.QueryString).toContain(martTemplate(mart))
    // the placeholders of the parameters it declares, once each, in the params CTE (the population's only in
    // the marts that read it); no `?` (Athena takes them only inside a WHERE)
    const declared = martParameterNames(mart)
    expect(declared.includes('population_version')).toBe(mart === 'stop_search_monthly')
    for (const [parameter, placeholder] of Object.entries(MART_PLACEHOLDERS))
      expect(stripHeader(q.QueryString).split(`'${placeholder}'`), placeholder).toHaveLength(
        declared.includes(parameter as (typeof declared)[number]) ? 2 : 1,
      )
    expect(q.Description.includes('population_version (varchar)')).toBe(
      declared.includes('population_version'),
    )
    expect(stripHeader(q.QueryString)).not.toContain('?')
  })

  it('has every staging query and the audit helpers', () => {
    const names = queries.map((q) => q.Name)
    for (const feed of FEED_NAMES) expect(names).toContain(`audit_${feed}_as_of`)
    for (const mart of MART_NAMES) expect(names).toContain(`audit_${mart}_run_history`)
    expect(names).toEqual(expect.arrayContaining(['audit_ingest_reconciliation', 'audit_quarantine_by_code']))
    expect(names.filter((n) => n.startsWith('staging_stg_')).length).toBe(stagingQueries().size)
  })

  // the mart_* queries are composeMart's output (checked above), which tests/sql/dialect.test.ts parses
  it.each(
    namedQuerySpecs()
      .map((q) => q.name)
      .filter((name) => !name.startsWith('mart_')),
  )('%s parses with the TrinoSQL grammar', (name) => {
    const spec = namedQuerySpecs().find((q) => q.name === name)
    expect(parser.validate(spec?.sql as string)).toEqual([])
  })

  describe('the as-of helpers run on the local lake too', () => {
    let lake: DuckDbLake
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'catalog-lake-'))
      lake = await DuckDbLake.open(dir)
    })
    afterAll(async () => {
      lake.close()
      await rm(dir, { recursive: true, force: true })
    })

    it.each(FEED_NAMES)('audit_%s_as_of', async (feed) => {
      const spec = namedQuerySpecs().find((q) => q.name === `audit_${feed}_as_of`)
      const result = await lake.query(spec?.sql as string, ['2026-01-01', '2026-01-01'])
      expect(result.columns.map((c) => c.name)).toEqual(
        expect.arrayContaining([...CONTRACTS[feed].key, 'valid_from']),
      )
    })
  })
})

describe('grantQuery', () => {
  /** The role's statements: its inline policy's, and those CDK moved into overflow managed policies (over 10 KB). */
  function statementsOf(role: iam.Role): Json[] {
    const id = logicalId(role)
    return [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')]
      .filter((p) => (p.Properties.Roles ?? []).some((ref: Json) => ref.Ref === id))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
  }
  const arrayOf = <T>(x: T | T[]) => (Array.isArray(x) ? x : [x])
  /** A resource as text: Fn::Join pieces concatenated, references as <Ref>. */
  const text = (resource: Json): string => {
    if (typeof resource === 'string') return resource
    if (resource['Fn::Join']) return resource['Fn::Join'][1].map(text).join('')
    if (resource.Ref) return `<${resource.Ref}>`
    if (resource['Fn::GetAtt']) return `<${resource['Fn::GetAtt'].join('.')}>`
    throw new Error(`unexpected resource ${JSON.stringify(resource)}`)
  }

  it.each([
    ['pipeline', pipelineRole],
    ['auditors', auditorsRole],
  ] as const)('%s: only the listed actions', (workgroup, role) => {
    const actions = statementsOf(role).flatMap((s) => arrayOf(s.Action))
    expect([...new Set(actions)].sort()).toEqual(
      [
        ...QUERY_ACTIONS,
        ...(workgroup === 'auditors' ? AUDITOR_ACTIONS : []),
        ...GLUE_READ_ACTIONS,
        ...KMS_ACTIONS,
        ...RESULTS_OBJECT_ACTIONS,
        ...RESULTS_BUCKET_ACTIONS,
      ].sort(),
    )
    expect(statementsOf(role).every((s) => s.Effect === 'Allow')).toBe(true)
  })

  it.each([
    ['pipeline', pipelineRole],
    ['auditors', auditorsRole],
  ] as const)(
    '%s: every resource is specific; the one key wildcard is its own results prefix',
    (workgroup, role) => {
      const resultsArn = text(r(resultsBucket.bucketArn))
      for (const statement of statementsOf(role)) {
        for (const resource of arrayOf(statement.Resource).map(text)) {
          expect(resource).not.toBe('*')
          if (resource.includes('*')) expect(resource).toBe(`${resultsArn}/athena/${workgroup}/*`)
        }
      }
    },
  )

  it.each([
    ['pipeline', pipelineRole],
    ['auditors', auditorsRole],
  ] as const)('%s: athena on its own workgroup, writes only under its results prefix', (workgroup, role) => {
    const statements = statementsOf(role)
    const athena = statements.filter((s) => arrayOf(s.Action).some((a: string) => a.startsWith('athena:')))
    expect(athena.flatMap((s) => arrayOf(s.Resource).map(text))).toEqual([
      `arn:<AWS::Partition>:athena:<AWS::Region>:<AWS::AccountId>:workgroup/hotspot-${workgroup}`,
    ])
    const writes = statements.filter((s) => arrayOf(s.Action).some((a: string) => /^s3:(Put|Delete)/.test(a)))
    expect(writes.flatMap((s) => arrayOf(s.Resource).map(text))).toEqual([
      `${text(r(resultsBucket.bucketArn))}/athena/${workgroup}/*`,
    ])
    const listing = statements.find((s) => arrayOf(s.Action).includes('s3:ListBucket'))
    expect(listing.Condition).toEqual({
      StringLike: { 's3:prefix': [`athena/${workgroup}/`, `athena/${workgroup}/*`] },
    })
  })

  it.each([
    ['pipeline', pipelineRole],
    ['auditors', auditorsRole],
  ] as const)(
    '%s: may ask the results bucket its location, unconditioned (the request has no s3:prefix)',
    (_workgroup, role) => {
      const locating = statementsOf(role).filter((s) => arrayOf(s.Action).includes('s3:GetBucketLocation'))
      expect(locating.flatMap((s) => arrayOf(s.Resource).map(text))).toEqual([
        text(r(resultsBucket.bucketArn)),
      ])
      expect(locating.every((s) => s.Condition === undefined)).toBe(true)
    },
  )

  it('pipeline reads only the tables and views the marts read; auditors every table and view', () => {
    const glueTables = (role: iam.Role) =>
      statementsOf(role)
        .filter((s) => arrayOf(s.Action).includes('glue:GetTable'))
        .flatMap((s) => arrayOf(s.Resource).map(text))
        .filter((arn) => arn.includes(':table/'))
        .map((arn) => arn.replace(/^.*:table\/hotspot\//, ''))
    expect(glueTables(pipelineRole).sort()).toEqual([...PIPELINE_TABLES, ...PIPELINE_VIEWS].sort())
    expect(glueTables(auditorsRole).sort()).toEqual(
      [...Object.keys(catalog.tables), ...Object.keys(catalog.views)].sort(),
    )
    // and the marts, as sent, name no other table of the catalog
    const others = Object.keys(catalog.tables).filter((t) => !PIPELINE_TABLES.includes(t))
    for (const mart of MART_NAMES) {
      const sql = composeMart(mart, {
        as_of: '2026-03-02',
        weights_version: 'w-1',
        register_version: 'r-1',
        population_version: 'p-1',
        presence_visits_run: 'r20260303T023000Z-0123abcd',
      })
      expect(
        others.filter((t) => new RegExp(`\\b${t}\\b`).test(sql)),
        mart,
      ).toEqual([])
    }
  })
})

describe('cdk-nag', () => {
  it('the catalog and both grants raise no finding once the results wildcard is acknowledged', () => {
    const app = new App()
    const nagged = new Stack(app, 'CatalogNag')
    const key = new kms.Key(nagged, 'Key', { enableKeyRotation: true })
    const buckets = ['Data', 'Results'].map((id) => {
      const bucket = new s3.Bucket(nagged, id, { encryptionKey: key, enforceSSL: true })
      // the storage construct logs access; these stand-ins only hold the catalog
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions::AwsSolutions-S1',
        reason: 'test stand-in bucket',
      })
      return bucket
    }) as [s3.Bucket, s3.Bucket]
    const naggedCatalog = new Catalog(nagged, 'Catalog', {
      dataBucket: buckets[0],
      resultsBucket: buckets[1],
      key,
      partitionStart: FIRST_DROP_DATE,
    })
    for (const workgroup of ['pipeline', 'auditors'] as const) {
      const role = new iam.Role(nagged, workgroup, { assumedBy: new iam.AccountRootPrincipal() })
      naggedCatalog.grantQuery(role, workgroup)
      naggedCatalog.acknowledgeResultsWildcard(role.node.findChild('DefaultPolicy'), workgroup)
    }
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app))
    expect(() => app.synth()).not.toThrow()
  })
})
