/**
 * The Glue catalog and the Athena workgroups (DESIGN section 9; issue 5).
 *
 * - One Glue database. Tables are generated (glue-schema.ts), never crawled: `<feed>_versions` per feed (dt
 *   partition), `<mart>_runs` per mart (as_of partition), `area_cells`, `hotspots`, `harm_weights`, `population`, and for
 *   auditors `quarantine` (feed + dt), `ingest_manifests` (feed) and `run_manifests`. Every partition is
 *   projected (partition projection), so no partition is ever registered.
 * - Views, as the local DuckDB lake has them (duckdb-lake.ts), so the same SQL gives the same rows on both
 *   engines: `<feed>` (each record's current version: queries/views/<feed>.sql, the text both engines create)
 *   and `<mart>` (the latest run per as_of, with as_of and run_id).
 * - Workgroups `<database>-pipeline` and `<database>-auditors`: configuration enforced (clients cannot override
 *   the output location, encryption or cutoff), engine v3, results SSE-KMS under `athena/<role>/` in the results
 *   bucket, CloudWatch metrics, and a bytes-scanned cutoff per query.
 * - Named queries in the auditors workgroup: every mart and staging query of queries/ as the pipeline sends
 *   them (staging inlined), and audit helpers.
 */
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib'
import * as athena from 'aws-cdk-lib/aws-athena'
import * as glue from 'aws-cdk-lib/aws-glue'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import { Construct, type IConstruct } from 'constructs'
import {
  composeSql,
  MART_NAMES,
  type MART_PARAMETERS,
  MART_PLACEHOLDERS,
  martParameterNames,
  martQuery,
  martTemplate,
  stagingQueries,
} from '../functions/core/analytics/marts.ts'
import { FEED_NAMES } from '../functions/core/contracts/feeds.ts'
import { isDay } from '../functions/core/time/days.ts'
import {
  DEFAULT_PARTITION_START,
  martRunsTable,
  type PartitionSpec,
  PIPELINE_TABLES,
  PIPELINE_VIEWS,
  prestoViewText,
  RUN_ID_SQL,
  type StorageFormat,
  type TableSpec,
  tableSpecs,
  type ViewSpec,
  viewSpecs,
} from './glue-schema.ts'
import { acknowledgeWildcardResource } from './nag.ts'

export type WorkgroupRole = 'pipeline' | 'auditors'
export const WORKGROUP_ROLES: readonly WorkgroupRole[] = ['pipeline', 'auditors']

/** Athena's smallest allowed BytesScannedCutoffPerQuery. */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000
const GIB = 1024 ** 3

/**
 * Default cutoffs. The pipeline: 1 GiB, ten times the queries bench's ceiling for one mart at London scale
 * (100 MB, bench/queries.ts), so growth is absorbed but a query that lost its filters (a full cross join, say)
 * is stopped for at most $0.005 ($5 per TB scanned). Auditors: 10 GiB, room for ad-hoc scans of whole feeds with
 * all their columns (ten times the pipeline's), at most $0.05 per query.
 */
export const DEFAULT_BYTES_SCANNED_CUTOFF: Record<WorkgroupRole, number> = {
  pipeline: GIB,
  auditors: 10 * GIB,
}

export const ATHENA_ENGINE_VERSION = 'Athena engine version 3'

/** Athena actions granted on the workgroup by `grantQuery`. */
export const QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
] as const
/** Added for the auditors workgroup: its saved (named) queries and its query history. */
export const AUDITOR_ACTIONS = [
  'athena:ListNamedQueries',
  'athena:GetNamedQuery',
  'athena:BatchGetNamedQuery',
  'athena:ListQueryExecutions',
  'athena:BatchGetQueryExecution',
] as const
export const GLUE_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
] as const
export const KMS_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const
/** On the query results objects of the workgroup (Athena writes them with the caller's credentials). */
export const RESULTS_OBJECT_ACTIONS = [
  's3:GetObject',
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
] as const
/** On the results bucket: listing (under the workgroup's prefix only) and its location, which Athena asks. */
export const RESULTS_BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucket'] as const

export interface CatalogProps {
  /** The lake: curated/, results/, reference/, quarantine/, manifests/ (DESIGN section 5). */
  readonly dataBucket: s3.IBucket
  /** Where Athena writes query results: `athena/pipeline/` and `athena/auditors/`. */
  readonly resultsBucket: s3.IBucket
  /** Encrypts the query results (SSE-KMS); grantQuery grants its use. */
  readonly key: kms.IKey
  /**
   * Per query, in bytes; at least 10,000,000 (Athena's minimum).
   * @default DEFAULT_BYTES_SCANNED_CUTOFF
   */
  readonly bytesScannedCutoffPerQuery?: Partial<Record<WorkgroupRole, number>>
  /**
   * Glue database name: lower case letters, digits and underscores.
   * @default 'hotspot'
   */
  readonly databaseName?: string
  /**
   * Workgroup names.
   * @default `<databaseName>-pipeline` and `<databaseName>-auditors`
   */
  readonly workgroupNames?: Partial<Record<WorkgroupRole, string>>
  /**
   * First day of the projected `dt` and `as_of` partitions (YYYY-MM-DD): the force's first drop date (CDK
   * context `firstDropDate`). No default: Athena lists every projected day a query does not filter out (one S3
   * LIST each), so starting at the contracts' earliest date (2000-01-01) costs some 10,000 LISTs per feed scan,
   * and a drop dated before the start is invisible to Athena.
   */
  readonly partitionStart: string
}

export interface NamedQuerySpec {
  readonly name: string
  readonly description: string
  readonly sql: string
}

const DATABASE_NAME = /^[a-z][a-z0-9_]{0,254}$/
const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/

/** What the functions and the auditors' role use of the catalog: its names, and the grants to query it. */
export interface ICatalog {
  readonly databaseName: string
  readonly pipelineWorkgroupName: string
  readonly auditorsWorkgroupName: string
  /** Each Glue table's location under the data bucket (`curated/incidents/`), by table name. */
  readonly tablePrefixes: Record<string, string>
  grantQuery(grantee: iam.IGrantable, workgroup: WorkgroupRole): iam.Grant
  acknowledgeResultsWildcard(policy: IConstruct, workgroup: WorkgroupRole): void
}

export class Catalog extends Construct implements ICatalog {
  readonly database: glue.CfnDatabase
  readonly databaseName: string
  readonly pipelineWorkgroup: athena.CfnWorkGroup
  readonly auditorsWorkgroup: athena.CfnWorkGroup
  readonly pipelineWorkgroupName: string
  readonly auditorsWorkgroupName: string
  /** Physical tables by name (feeds' `<feed>_versions`, marts' `<mart>_runs`, reference and audit tables). */
  readonly tables: Record<string, glue.CfnTable>
  /** Presto views by name (`<feed>`, `<mart>`). */
  readonly views: Record<string, glue.CfnTable>
  readonly namedQueries: Record<string, athena.CfnNamedQuery>
  /** Each table's location as a key prefix of the data bucket (`curated/incidents/`), for S3 read grants. */
  readonly tablePrefixes: Record<string, string>
  /** The query results location of each workgroup, as a key prefix of the results bucket. */
  readonly resultsPrefixes: Record<WorkgroupRole, string>
  readonly bytesScannedCutoffPerQuery: Record<WorkgroupRole, number>

  private readonly dataBucket: s3.IBucket
  private readonly resultsBucket: s3.IBucket
  private readonly key: kms.IKey

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id)
    const stack = Stack.of(this)
    this.dataBucket = props.dataBucket
    this.resultsBucket = props.resultsBucket
    this.key = props.key

    this.databaseName = props.databaseName ?? 'hotspot'
    if (Token.isUnresolved(this.databaseName) || !DATABASE_NAME.test(this.databaseName)) {
      throw new Error(
        `Catalog databaseName ${JSON.stringify(this.databaseName)} must be a literal of lower case letters, digits ` +
          'and underscores, starting with a letter (Athena reads views and tables by it)',
      )
    }
    const { partitionStart } = props
    if (Token.isUnresolved(partitionStart) || !isDay(partitionStart)) {
      throw new Error(
        `Catalog partitionStart ${JSON.stringify(partitionStart)} is not a date (YYYY-MM-DD) given as a literal`,
      )
    }
    if (partitionStart < DEFAULT_PARTITION_START) {
      throw new Error(
        `Catalog partitionStart ${partitionStart} is before ${DEFAULT_PARTITION_START}, the earliest drop date the contracts accept`,
      )
    }
    this.bytesScannedCutoffPerQuery = {
      pipeline: props.bytesScannedCutoffPerQuery?.pipeline ?? DEFAULT_BYTES_SCANNED_CUTOFF.pipeline,
      auditors: props.bytesScannedCutoffPerQuery?.auditors ?? DEFAULT_BYTES_SCANNED_CUTOFF.auditors,
    }
    for (const role of WORKGROUP_ROLES) {
      const cutoff = this.bytesScannedCutoffPerQuery[role]
      if (!Number.isSafeInteger(cutoff) || cutoff < MIN_BYTES_SCANNED_CUTOFF) {
        throw new Error(
          `Catalog bytesScannedCutoffPerQuery.${role} must be a whole number of bytes, at least ` +
            `${MIN_BYTES_SCANNED_CUTOFF} (Athena's minimum); got ${cutoff}`,
        )
      }
    }
    const names: Record<WorkgroupRole, string> = {
      pipeline: props.workgroupNames?.pipeline ?? `${this.databaseName}-pipeline`,
      auditors: props.workgroupNames?.auditors ?? `${this.databaseName}-auditors`,
    }
    for (const role of WORKGROUP_ROLES) {
      if (!WORKGROUP_NAME.test(names[role])) {
        throw new Error(`Catalog workgroup name ${JSON.stringify(names[role])} must match ${WORKGROUP_NAME}`)
      }
    }
    if (names.pipeline === names.auditors) throw new Error('Catalog workgroups need two different names')
    this.pipelineWorkgroupName = names.pipeline
    this.auditorsWorkgroupName = names.auditors

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description:
          'Hotspot policing lake (DESIGN sections 5 and 9). Tables are generated from the feed contracts and the ' +
          'mart definitions, with partition projection; nothing is crawled.',
      },
    })

    this.tables = {}
    this.tablePrefixes = {}
    for (const spec of tableSpecs({ partitionStart })) {
      this.tables[spec.name] = this.table(spec)
      this.tablePrefixes[spec.name] = spec.prefix
    }
    this.views = {}
    for (const spec of viewSpecs()) this.views[spec.name] = this.view(spec)

    this.resultsPrefixes = { pipeline: 'athena/pipeline/', auditors: 'athena/auditors/' }
    this.pipelineWorkgroup = this.workgroup('pipeline', names.pipeline)
    this.auditorsWorkgroup = this.workgroup('auditors', names.auditors)

    this.namedQueries = {}
    namedQuerySpecs().forEach((spec, index) => {
      const query = new athena.CfnNamedQuery(this, `NamedQuery${index}`, {
        name: spec.name,
        description: spec.description,
        database: this.database.ref,
        queryString: spec.sql,
        workGroup: this.auditorsWorkgroup.ref,
      })
      this.namedQueries[spec.name] = query
    })
  }

  /** ARN of a workgroup. */
  workgroupArn(role: WorkgroupRole): string {
    return Stack.of(this).formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: role === 'pipeline' ? this.pipelineWorkgroupName : this.auditorsWorkgroupName,
    })
  }

  /**
   * ARNs of the Glue catalog, the database and the tables a workgroup's queries read: for the pipeline the feeds'
   * `<feed>_versions`, the reference tables and the presence marts' runs (PIPELINE_TABLES) and the views over
   * those (PIPELINE_VIEWS), for auditors every table and view.
   */
  glueArns(workgroup: WorkgroupRole): string[] {
    const stack = Stack.of(this)
    const tables =
      workgroup === 'pipeline'
        ? [...PIPELINE_TABLES, ...PIPELINE_VIEWS]
        : [...Object.keys(this.tables), ...Object.keys(this.views)]
    return [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
      ...tables.map((table) =>
        stack.formatArn({
          service: 'glue',
          resource: 'table',
          resourceName: `${this.databaseName}/${table}`,
        }),
      ),
    ]
  }

  /**
   * Lets a principal run queries in one workgroup: Athena actions on that workgroup only (for auditors also its
   * named queries and history), Glue reads on the catalog, this database and the tables the workgroup's queries
   * read (glueArns: specific ARNs), read/write on the workgroup's own results prefix (`athena/<role>/*`: the object names are Athena's
   * query execution ids, so that key wildcard is unavoidable), listing under that prefix, the results bucket's
   * location, and use of the key. It grants no read on the data bucket: grant the prefixes the queries read
   * (tablePrefixes) separately. The results wildcard is a cdk-nag AwsSolutions-IAM5 finding to acknowledge on
   * the grantee's policy (acknowledgeResultsWildcard).
   */
  grantQuery(grantee: iam.IGrantable, workgroup: WorkgroupRole): iam.Grant {
    if (!WORKGROUP_ROLES.includes(workgroup))
      throw new Error(`unknown workgroup ${JSON.stringify(workgroup)}`)
    const prefix = this.resultsPrefixes[workgroup]
    const actions: string[] = [...QUERY_ACTIONS, ...(workgroup === 'auditors' ? AUDITOR_ACTIONS : [])]
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.workgroupArn(workgroup)] })
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: [...GLUE_READ_ACTIONS],
          resourceArns: this.glueArns(workgroup),
        }),
      )
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: [...RESULTS_OBJECT_ACTIONS],
          resourceArns: [this.resultsBucket.arnForObjects(`${prefix}*`)],
        }),
      )
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['s3:ListBucket'],
          resourceArns: [this.resultsBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
        }),
      )
      .combine(
        // no s3:prefix condition: a GetBucketLocation request carries none, so a condition on it never matches
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['s3:GetBucketLocation'],
          resourceArns: [this.resultsBucket.bucketArn],
        }),
      )
      .combine(this.key.grant(grantee, ...KMS_ACTIONS))
  }

  /**
   * Acknowledges the one cdk-nag finding grantQuery causes (AwsSolutions-IAM5 on the key wildcard of
   * `<results bucket>/athena/<workgroup>/*`, unavoidable since Athena names the result objects after each query
   * execution id), and only it, on the one IAM policy that holds the grant (for a role: its DefaultPolicy).
   * grantQuery does not: acknowledging is the stack's call (lib/nag.ts).
   */
  acknowledgeResultsWildcard(policy: IConstruct, workgroup: WorkgroupRole): void {
    acknowledgeWildcardResource(
      policy,
      this.resultsBucket.arnForObjects(`${this.resultsPrefixes[workgroup]}*`),
      `Athena writes each query's results under ${this.resultsPrefixes[workgroup]} with the caller's credentials, ` +
        'as objects named after the query execution id, unknown in advance; the wildcard is limited to the ' +
        `${workgroup} workgroup's own results prefix.`,
    )
  }

  private workgroup(role: WorkgroupRole, name: string): athena.CfnWorkGroup {
    const id = role === 'pipeline' ? 'PipelineWorkgroup' : 'AuditorsWorkgroup'
    const workgroup = new athena.CfnWorkGroup(this, id, {
      name,
      description:
        role === 'pipeline'
          ? 'Hotspot pipeline: the nightly marts (analytics Lambda). Configuration enforced.'
          : 'Hotspot auditors: read-only queries over the lake and the saved queries of queries/. Configuration enforced.',
      state: 'ENABLED',
      // Nothing in a workgroup is state: results are in the results bucket and every query is in CloudTrail. Without
      // this, a workgroup that has run queries blocks the stack's deletion.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        requesterPaysEnabled: false,
        bytesScannedCutoffPerQuery: this.bytesScannedCutoffPerQuery[role],
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject(this.resultsPrefixes[role]),
          expectedBucketOwner: Stack.of(this).account,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.key.keyArn },
        },
      },
    })
    workgroup.applyRemovalPolicy(RemovalPolicy.DESTROY)
    return workgroup
  }

  private table(spec: TableSpec): glue.CfnTable {
    const parameters: Record<string, string> = { EXTERNAL: 'TRUE', ...FORMATS[spec.format].parameters }
    if (spec.partitions.length > 0) {
      parameters['projection.enabled'] = 'true'
      for (const partition of spec.partitions) Object.assign(parameters, projectionParameters(partition))
      if (!spec.template) throw new Error(`table ${spec.name}: partitions need a location template`)
      parameters['storage.location.template'] = this.dataUrl(spec.template)
    }
    return new glue.CfnTable(this, `Table_${spec.name}`, {
      catalogId: Stack.of(this).account,
      databaseName: this.database.ref,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'EXTERNAL_TABLE',
        parameters,
        partitionKeys: spec.partitions.map(({ name, type, comment }) => ({ name, type, comment })),
        storageDescriptor: {
          location: this.dataUrl(spec.prefix),
          columns: spec.columns,
          inputFormat: FORMATS[spec.format].inputFormat,
          outputFormat: FORMATS[spec.format].outputFormat,
          serdeInfo: FORMATS[spec.format].serdeInfo,
          compressed: spec.format === 'parquet',
          storedAsSubDirectories: false,
        },
      },
    })
  }

  private view(spec: ViewSpec): glue.CfnTable {
    return new glue.CfnTable(this, `View_${spec.name}`, {
      catalogId: Stack.of(this).account,
      databaseName: this.database.ref,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'VIRTUAL_VIEW',
        // what Trino (Athena) checks to read a Glue table as one of its views
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: prestoViewText(spec, this.databaseName),
        viewExpandedText: '/* Presto View */',
        partitionKeys: [],
        storageDescriptor: {
          columns: spec.columns.map(({ name, type, comment }) => ({ name, type, comment })),
          serdeInfo: {},
        },
      },
    })
  }

  /** `s3://<data bucket>/<key>` (the bucket name is a token until deployment). */
  private dataUrl(key: string): string {
    return `s3://${this.dataBucket.bucketName}/${key}`
  }
}

interface Format {
  readonly inputFormat: string
  readonly outputFormat: string
  readonly serdeInfo: glue.CfnTable.SerdeInfoProperty
  readonly parameters: Record<string, string>
}

const FORMATS: Record<StorageFormat, Format> = {
  parquet: {
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
    serdeInfo: {
      serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      parameters: { 'serialization.format': '1' },
    },
    parameters: { classification: 'parquet', 'parquet.compression': 'SNAPPY' },
  },
  // one JSON object per line (quarantine/*.jsonl)
  jsonl: {
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
    serdeInfo: {
      serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
      // keep the keys of `record` (the drop's own column names) as delivered; our field names are lower case
      parameters: { 'case.insensitive': 'false' },
    },
    parameters: { classification: 'json' },
  },
  // one pretty-printed JSON document per file (manifests): the line-based JSON SerDes cannot read these; the
  // Ion SerDe can (JSON is Ion text), which is what Athena documents for multi-line JSON
  json: {
    inputFormat: 'com.amazon.ionhiveserde.formats.IonInputFormat',
    outputFormat: 'com.amazon.ionhiveserde.formats.IonOutputFormat',
    serdeInfo: { serializationLibrary: 'com.amazon.ionhiveserde.IonHiveSerDe' },
    parameters: { classification: 'ion' },
  },
}

/** The table properties of one projected partition column. */
export function projectionParameters(partition: PartitionSpec): Record<string, string> {
  const p = `projection.${partition.name}`
  const { projection } = partition
  if (projection.type === 'enum')
    return { [`${p}.type`]: 'enum', [`${p}.values`]: projection.values.join(',') }
  return {
    [`${p}.type`]: 'date',
    [`${p}.format`]: projection.format,
    [`${p}.range`]: projection.range,
    [`${p}.interval`]: String(projection.interval),
    [`${p}.interval.unit`]: projection.unit,
  }
}

/** Athena limits: a named query's name to 128 characters and its description to 1024. */
const MAX_NAME = 128
const MAX_DESCRIPTION = 1024

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`)
/** Comment lines carry no `?`: the Athena console counts question marks to ask for parameter values. */
const commentLines = (lines: string[]) =>
  lines.map((line) => `-- ${line.replaceAll('?', '')}`.trimEnd()).join('\n')

const MART_PARAMETER_TYPES: Record<(typeof MART_PARAMETERS)[number], string> = {
  as_of: 'date',
  weights_version: 'varchar',
  register_version: 'varchar',
  population_version: 'varchar',
  presence_visits_run: 'varchar',
}

const PARAMETER_HELP =
  'Run with the parameters in this order: in the console, fill the parameter boxes; in SQL, ' +
  'PREPARE q FROM <this query>; EXECUTE q USING <values>.'

/** How to run a mart's saved query (martTemplate): its params CTE holds the placeholders of its parameters. */
function placeholderHelp(parameters: readonly (typeof MART_PARAMETERS)[number][]): string {
  return (
    `Replace ${parameters.map((name) => MART_PLACEHOLDERS[name]).join(', ')} in the params CTE with the as-of ` +
    'date and the reference versions (run_manifests names those of each run), then run it.' +
    (parameters.includes('population_version')
      ? ` For a run whose population_version is null, replace '${MART_PLACEHOLDERS.population_version}' (quotes included) by null.`
      : '') +
    (parameters.includes('presence_visits_run')
      ? ` ${MART_PLACEHOLDERS.presence_visits_run} is the run id of the presence_visits run whose visits it sums: the first of earlier_runs in the run manifest of the night.`
      : '')
  )
}

/**
 * The named queries of the auditors workgroup, in a stable order:
 * - `mart_<mart>`: each mart as the pipeline runs it (staging inlined as CTEs), its params CTE holding a
 *   placeholder for each parameter it declares (as_of date, weights_version, register_version, and
 *   population_version in the marts that read the population) to replace (martTemplate);
 * - `staging_<stg>`: each staging query standalone (its own staging dependencies inlined);
 * - `audit_<feed>_as_of`: every record's version current on a date (the rule the marts use);
 * - `audit_<mart>_run_history`: every run of a mart per as_of, its row count, whether it completed (has a run
 *   manifest) and whether it is the one the `<mart>` view shows;
 * - `audit_ingest_reconciliation` and `audit_quarantine_by_code`.
 */
export function namedQuerySpecs(): NamedQuerySpec[] {
  const marts = MART_NAMES.map((mart): NamedQuerySpec => {
    const query = martQuery(mart)
    const declared = martParameterNames(mart)
    const parameters = declared.map((name) => `${name} (${MART_PARAMETER_TYPES[name]})`).join(', ')
    const file = `queries/marts/${mart}.sql`
    return {
      name: `mart_${mart}`,
      description: clip(
        `${file} (sha256 ${query.sha256.slice(0, 16)}): ${query.grain}. Parameters: ${parameters}.`,
        MAX_DESCRIPTION,
      ),
      sql: [
        commentLines([
          `${mart}: ${query.grain}`,
          `source: ${file}, sha256 ${query.sha256}, staging inlined as CTEs (as the pipeline sends it)`,
          `parameters: ${parameters}. ${placeholderHelp(declared)}`,
          `columns: ${query.columns.map((c) => c.name).join(', ')}`,
        ]),
        martTemplate(mart),
      ].join('\n'),
    }
  })
  const staging = [...stagingQueries().values()].map(
    (query): NamedQuerySpec => ({
      name: `staging_${query.name}`,
      description: clip(
        `queries/staging/${query.name}.sql (sha256 ${query.sha256.slice(0, 16)}): ${query.grain}.`,
        MAX_DESCRIPTION,
      ),
      sql: [
        commentLines([
          `${query.name}: ${query.grain}`,
          `source: queries/staging/${query.name}.sql, sha256 ${query.sha256}, no parameters`,
        ]),
        composeSql(query.text, query.name),
      ].join('\n'),
    }),
  )
  const asOf = FEED_NAMES.map(
    (feed): NamedQuerySpec => ({
      name: `audit_${feed}_as_of`,
      description: `Every ${feed} record's version current on a date, as the marts see it (stg_${feed}). Parameters: as_of (date), twice.`,
      sql: [
        commentLines([
          `every ${feed} record's version current as of a date: valid_from <= as_of and (valid_to is null or valid_to > as_of),`,
          `the rule every mart applies (queries/staging/stg_${feed}.sql)`,
          `parameters: as_of (date), twice. ${PARAMETER_HELP}`,
        ]),
        composeSql(
          [
            // Athena takes `?` only inside a WHERE clause: the date is given twice
            'with final as (',
            `  select s.* from stg_${feed} as s`,
            '  where s.valid_from <= cast(? as date) and (s.valid_to is null or s.valid_to > cast(? as date))',
            ')',
            'select * from final',
          ].join('\n'),
          `audit_${feed}_as_of`,
        ),
      ].join('\n'),
    }),
  )
  const history = MART_NAMES.map(
    (mart): NamedQuerySpec => ({
      name: `audit_${mart}_run_history`,
      description: `Every run of ${mart} per as_of: rows, completed (has a run manifest), and whether the ${mart} view shows it.`,
      sql: [
        commentLines([
          `every run of ${mart} per as_of, from its result files (${martRunsTable(mart)}; the run id is the file name):`,
          'result_rows, completed (a run manifest exists: the run finished every mart), and shown (the latest completed',
          `run of the as_of, which the view ${mart} shows, as reports use it).`,
        ]),
        [
          'with runs as (',
          `  select as_of, ${RUN_ID_SQL} as run_id, count(*) as result_rows`,
          `  from ${martRunsTable(mart)}`,
          '  group by 1, 2',
          '),',
          '',
          'final as (',
          '  select',
          '    r.as_of,',
          '    r.run_id,',
          '    r.result_rows,',
          '    m.run_id is not null as completed,',
          '    m.run_id is not null',
          '      and r.run_id = max(case when m.run_id is not null then r.run_id end) over (partition by r.as_of) as shown,',
          '    m.started_at,',
          '    m.finished_at,',
          '    m.engine,',
          '    m.weights_version,',
          '    m.register_version',
          '  from runs as r',
          '  left join run_manifests as m on m.run_id = r.run_id',
          ')',
          '',
          'select * from final order by as_of, run_id',
        ].join('\n'),
      ].join('\n'),
    }),
  )
  const audit: NamedQuerySpec[] = [
    {
      name: 'audit_ingest_reconciliation',
      description:
        'Every ingested drop with its counts and whether rows_in = rows_accepted + rows_quarantined + rows_duplicate.',
      sql: [
        commentLines([
          'every ingested drop: rows_in = rows_accepted + rows_quarantined + rows_duplicate must hold (DESIGN section 4)',
        ]),
        [
          'with final as (',
          '  select',
          '    feed, drop_id, drop_date, ingested_at, source.name as source_name, source.sha256 as source_sha256,',
          '    rows_in, rows_accepted, rows_quarantined, rows_duplicate,',
          '    rows_in = rows_accepted + rows_quarantined + rows_duplicate as reconciles',
          '  from ingest_manifests',
          ')',
          '',
          'select * from final order by reconciles, feed, drop_date, drop_id',
        ].join('\n'),
      ].join('\n'),
    },
    {
      name: 'audit_quarantine_by_code',
      description: 'Quarantined rows per feed, drop date and code (filter dt to scan less).',
      sql: [
        commentLines(['quarantined rows per feed, drop date and code; add a dt range to scan fewer days']),
        [
          'with final as (',
          '  select feed, dt, code, count(*) as rows_quarantined, count(distinct drop_id) as drops',
          '  from quarantine',
          '  group by feed, dt, code',
          ')',
          '',
          'select * from final order by feed, dt, code',
        ].join('\n'),
      ].join('\n'),
    },
  ]
  const specs = [...marts, ...staging, ...asOf, ...history, ...audit]
  for (const spec of specs) {
    if (spec.name.length > MAX_NAME) throw new Error(`named query name too long: ${spec.name}`)
  }
  return specs
}
