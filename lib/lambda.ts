/**
 * The one Lambda construct every function of the pipeline is built with: Node.js 24 on arm64 (Graviton), an
 * esbuild ESM bundle made on this machine (no Docker), Powertools logging (JSON, service name and level from the
 * environment), a log group with a retention period, X-Ray active tracing, its own role that starts empty, and
 * helpers that set each environment variable together with the permissions it stands for:
 *
 *   fn.bindBucket('LAKE_BUCKET', bucket, { read: ['curated/*'], write: ['results/*'], list: ['curated/'] })
 *   fn.bindWorkgroup(catalog, 'pipeline', PIPELINE_TABLES, dataBucket)
 *
 * so a function can read, write and list only what it is configured for, and nothing is configured that it may
 * not use. A wildcard in a grant is an object-key prefix (object names are drop ids, run ids, recipients); each is
 * acknowledged to cdk-nag on the function's policy with the binding's reason.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ArnFormat, type Duration, RemovalPolicy, type Size, Stack } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as s3 from 'aws-cdk-lib/aws-s3'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import { Construct } from 'constructs'
import type { ICatalog, WorkgroupRole } from './catalog.ts'
import { acknowledge, acknowledgeWildcardResource } from './nag.ts'
import { LOCKED_PREFIXES, type RecordsLock } from './storage.ts'

/** The repository root: entries, queries/ and package-lock.json are found from it. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url))

export const RUNTIME = lambda.Runtime.NODEJS_24_X
export const ARCHITECTURE = lambda.Architecture.ARM_64
const TARGET = 'node24'
/** Where Lambda unpacks the bundle: files copied beside it (queries/, fonts/) are under this directory. */
export const TASK_ROOT = '/var/task'

/**
 * Never bundled. DuckDB is the local query engine only (a native addon, 50 MB): no handler may reach it, and
 * marking it external makes an accidental import fail loudly at cold start instead of shipping it.
 */
export const NEVER_BUNDLED = ['@duckdb/node-api'] as const

/**
 * Node's `require` for the CommonJS packages inside an ESM bundle (esbuild's shim cannot load `node:` built-ins
 * otherwise). The alias keeps clear of any `createRequire` a bundled module declares itself.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);"

/** The esbuild that bundles the handlers, for the worker bundles built beside them. */
const ESBUILD = path.join(PROJECT_ROOT, 'node_modules', 'esbuild', 'bin', 'esbuild')

const shellQuoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`

/** The shell command that bundles a worker module as the handlers are bundled (ESM, minified, source map). */
function workerBundleCommand(
  inputDir: string,
  outputDir: string,
  worker: string,
  external: string[],
): string {
  const name = path.basename(worker).replace(/\.ts$/, '.mjs')
  return [
    ESBUILD,
    '--bundle',
    path.join(inputDir, worker),
    `--outfile=${path.join(outputDir, name)}`,
    `--target=${TARGET}`,
    '--platform=node',
    '--format=esm',
    '--main-fields=module,main',
    '--minify',
    '--sourcemap',
    '--sources-content=false',
    '--log-level=warning',
    ...external.map((module) => `--external:${module}`),
    `--banner:js=${ESM_REQUIRE_BANNER}`,
  ]
    .map(shellQuoted)
    .join(' ')
}

/** What every function of the stack is given alike, from the CDK context. */
export interface FunctionSettings {
  /** POWERTOOLS_LOG_LEVEL and the function's application log level. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  /** How long the function's log group keeps its logs. */
  readonly logRetentionDays: number
}

export interface HotspotFunctionProps extends FunctionSettings {
  /** Path of the handler module, relative to the repository root (functions/ingest/handler.ts). */
  readonly entry: string
  readonly description: string
  /** POWERTOOLS_SERVICE_NAME: the `service` of every log line and trace. */
  readonly serviceName: string
  readonly memorySize: number
  readonly timeout: Duration
  /**
   * The function's /tmp.
   * @default 512 MiB (Lambda's)
   */
  readonly ephemeralStorageSize?: Size
  /**
   * For functions invoked asynchronously (EventBridge Scheduler): where an event goes once Lambda's own retries
   * (two, Lambda's default, within six hours) have failed.
   * @default none (a function invoked synchronously only)
   */
  readonly deadLetterQueue?: sqs.IQueue
  /**
   * Files or folders of the repository copied beside the bundle: { from: 'queries', to: 'queries' }.
   * @default none
   */
  readonly assets?: BundledAsset[]
  /**
   * Modules left out of the bundle (besides NEVER_BUNDLED).
   * @default none
   */
  readonly externalModules?: string[]
  /**
   * Worker-thread modules the handler starts (paths from the repository root), each bundled on its own beside
   * index.mjs as `<name>.mjs`, where the code finds it with `new URL('./<name>.mjs', import.meta.url)`.
   * @default none
   */
  readonly workers?: string[]
}

export interface BundledAsset {
  /** Path from the repository root. */
  readonly from: string
  /** Path beside the bundle. */
  readonly to: string
  /**
   * The environment variable that gives the function the copy's path, where the code looks it up.
   * @default none (the code finds the copy beside itself)
   */
  readonly env?: string
}

/**
 * The Parquet writer's WebAssembly module (parquet-wasm's build for ES modules), for functions that write
 * Parquet (their config.ts parses PARQUET_WASM, and the handler hands it to the Parquet writer at cold start).
 */
export const PARQUET_WASM_ASSET: BundledAsset = {
  from: 'node_modules/parquet-wasm/esm/parquet_wasm_bg.wasm',
  to: 'parquet.wasm',
  env: 'PARQUET_WASM',
}

export interface BucketAccess {
  /**
   * Object-key patterns the function reads (s3:GetObject): `curated/*`, `manifests/runs/*`.
   * @default none
   */
  readonly read?: string[]
  /**
   * Of `read`, the patterns it also reads by version id (s3:GetObjectVersion: S3 refuses a GetObject naming a
   * VersionId without it): `landing/*`, read at the version its S3 event names.
   * @default none
   */
  readonly readVersions?: string[]
  /**
   * Object-key patterns the function creates (s3:PutObject; under a locked prefix also s3:PutObjectRetention).
   * @default none
   */
  readonly write?: string[]
  /**
   * s3:ListBucket: the prefixes the function lists (a condition on s3:prefix), or 'bucket' when it also asks
   * for objects that may not exist: S3 answers a missing key with 404 (rather than 403) only to a caller with
   * s3:ListBucket on the bucket, and that request has no prefix a condition could test.
   * @default no s3:ListBucket
   */
  readonly list?: string[] | 'bucket'
  /**
   * s3:GetBucketLocation (Athena asks it of every bucket a query reads or writes).
   * @default false
   */
  readonly location?: boolean
  /** What the function does with these prefixes: the reason given for each wildcard. */
  readonly why: string
}

export class HotspotFunction extends Construct {
  readonly fn: NodejsFunction
  readonly role: iam.Role
  readonly logGroup: logs.LogGroup
  readonly serviceName: string
  /** Every variable set through a binding or addEnvironment, for the tests. */
  readonly environment: Record<string, string> = {}
  /** The bucket prefixes whose wildcard finding is acknowledged already (grantBucket). */
  private readonly acknowledgedPrefixes = new Set<string>()

  constructor(scope: Construct, id: string, props: HotspotFunctionProps) {
    super(scope, id)
    this.serviceName = props.serviceName
    const entry = path.join(PROJECT_ROOT, props.entry)
    if (!existsSync(entry)) throw new Error(`${this.node.path}: the handler ${props.entry} does not exist`)

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.serviceName}: the function's own permissions, nothing else`,
    })
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    })

    const assets = props.assets ?? []
    for (const asset of assets) {
      if (!existsSync(path.join(PROJECT_ROOT, asset.from))) {
        throw new Error(`${this.node.path}: ${asset.from} (copied beside the bundle) does not exist`)
      }
    }
    const workers = props.workers ?? []
    for (const worker of workers) {
      if (!existsSync(path.join(PROJECT_ROOT, worker))) {
        throw new Error(`${this.node.path}: the worker ${worker} does not exist`)
      }
    }
    const external = [...NEVER_BUNDLED, ...(props.externalModules ?? [])]
    const environment: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      POWERTOOLS_LOG_LEVEL: props.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
      ...Object.fromEntries(assets.flatMap(({ to, env }) => (env ? [[env, `${TASK_ROOT}/${to}`]] : []))),
    }

    this.fn = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize,
      timeout: props.timeout,
      ephemeralStorageSize: props.ephemeralStorageSize,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: { ...environment },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: TARGET,
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        banner: ESM_REQUIRE_BANNER,
        logLevel: LogLevel.WARNING,
        // the AWS SDK is bundled, at the versions in package-lock.json, not taken from the runtime
        externalModules: external,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...assets.map(
              ({ from, to }) => `cp -R "${path.join(inputDir, from)}" "${path.join(outputDir, to)}"`,
            ),
            ...workers.map((worker) => workerBundleCommand(inputDir, outputDir, worker, external)),
          ],
        },
      },
    })
    Object.assign(this.environment, environment)

    // Tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" to the role's policy.
    acknowledge(
      this.defaultPolicy(),
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions, so their resource can only be "*". They are the only actions granted on "*".',
    )
  }

  /** The function's identity-based policy (created with the first statement). */
  defaultPolicy(): iam.Policy {
    const policy = this.role.node.tryFindChild('DefaultPolicy')
    if (!(policy instanceof iam.Policy)) throw new Error(`${this.node.path}: the role has no policy yet`)
    return policy
  }

  addEnvironment(name: string, value: string): this {
    this.fn.addEnvironment(name, value)
    this.environment[name] = value
    return this
  }

  /**
   * Sets `name` to the bucket's name and grants exactly `access`: GetObject and PutObject on the given
   * object-key patterns, ListBucket as described, and the bucket key's use (Decrypt to read; GenerateDataKey
   * to write). A write under a locked prefix (archive/, manifests/) also needs PutObjectRetention: the bucket
   * refuses such writes without a lock, and the lock's mode and length come with LAKE_LOCK_* variables.
   */
  bindBucket(name: string, bucket: s3.IBucket, access: BucketAccess, lock?: RecordsLock): this {
    this.addEnvironment(name, bucket.bucketName)
    this.grantBucket(bucket, access, lock)
    return this
  }

  /** The grants of bindBucket, each wildcard acknowledged with `access.why`. */
  private grantBucket(bucket: s3.IBucket, access: BucketAccess, lock?: RecordsLock): void {
    const read = access.read ?? []
    const write = access.write ?? []
    const readVersions = access.readVersions ?? []
    const unread = readVersions.filter((pattern) => !read.includes(pattern))
    if (unread.length > 0) throw new Error(`${this.node.path}: readVersions ${unread.join(', ')} not in read`)
    const statements: iam.PolicyStatement[] = []
    if (read.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: read.map((pattern) => bucket.arnForObjects(pattern)),
        }),
      )
    }
    if (readVersions.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['s3:GetObjectVersion'],
          resources: readVersions.map((pattern) => bucket.arnForObjects(pattern)),
        }),
      )
    }
    if (write.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: write.map((pattern) => bucket.arnForObjects(pattern)),
        }),
      )
      const locked = write.filter((pattern) => LOCKED_PREFIXES.some((prefix) => pattern.startsWith(prefix)))
      if (locked.length > 0) {
        if (!lock) throw new Error(`${this.node.path}: writes to ${locked.join(', ')} need the records lock`)
        statements.push(
          new iam.PolicyStatement({
            actions: ['s3:PutObjectRetention'],
            resources: locked.map((pattern) => bucket.arnForObjects(pattern)),
          }),
        )
        this.addEnvironment('LAKE_LOCK_MODE', lock.mode)
        this.addEnvironment('LAKE_LOCK_DAYS', String(lock.days))
        this.addEnvironment('LAKE_LOCKED_PREFIXES', LOCKED_PREFIXES.join(','))
      }
    }
    if (access.list === 'bucket') {
      statements.push(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }))
    } else if (access.list && access.list.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': access.list.flatMap((p) => [p, `${p}*`]) } },
        }),
      )
    }
    if (access.location) {
      statements.push(
        new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [bucket.bucketArn] }),
      )
    }
    if (bucket.encryptionKey && (read.length > 0 || write.length > 0)) {
      statements.push(
        new iam.PolicyStatement({
          actions: write.length > 0 ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
          resources: [bucket.encryptionKey.keyArn],
        }),
      )
    }
    for (const statement of statements) this.role.addToPrincipalPolicy(statement)
    const policy = this.defaultPolicy()
    for (const pattern of new Set([...read, ...write])) {
      // one finding per resource of the policy: a prefix granted twice (run manifests: written by the run, read
      // by its queries) is acknowledged once, by the first grant
      const key = `${bucket.node.path} ${pattern}`
      if (this.acknowledgedPrefixes.has(key)) continue
      this.acknowledgedPrefixes.add(key)
      const verb =
        read.includes(pattern) && write.includes(pattern)
          ? 'reads and writes'
          : read.includes(pattern)
            ? 'reads'
            : 'writes'
      acknowledgeWildcardResource(
        policy,
        bucket.arnForObjects(pattern),
        `Object-key prefix, not a wildcard over the bucket: the ${this.serviceName} function ${verb} the objects under ` +
          `${pattern.replace(/\*$/, '')} (${access.why}); their names (drop ids, run ids, dates) are only known at run time.`,
      )
    }
  }

  /**
   * Sets `name` to the name of a SecureString SSM parameter made out of band, and grants ssm:GetParameter on
   * exactly that parameter. Decrypting it needs no grant of its own while it is encrypted with the AWS managed
   * key aws/ssm, whose key policy lets every principal of the account decrypt through SSM.
   */
  bindSecureParameter(name: string, parameterName: string): this {
    this.addEnvironment(name, parameterName)
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [
          Stack.of(this).formatArn({
            service: 'ssm',
            resource: 'parameter',
            // a hierarchical name's leading slash is the separator of the ARN
            resourceName: parameterName.replace(/^\//, ''),
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    )
    return this
  }

  /**
   * Sets ATHENA_WORKGROUP and ATHENA_DATABASE and grants what querying them takes: the catalog's grant for the
   * workgroup (Athena on that workgroup, Glue reads on this database, its own query-results prefix and the
   * results bucket's location, the key), and S3 reads (Athena reads the tables' files with the caller's credentials) of exactly the prefixes of the
   * `tables` the queries read.
   */
  bindWorkgroup(
    catalog: ICatalog,
    role: WorkgroupRole,
    tables: readonly string[],
    dataBucket: s3.IBucket,
  ): this {
    this.addEnvironment(
      'ATHENA_WORKGROUP',
      role === 'pipeline' ? catalog.pipelineWorkgroupName : catalog.auditorsWorkgroupName,
    )
    this.addEnvironment('ATHENA_DATABASE', catalog.databaseName)
    catalog.grantQuery(this.role, role)
    catalog.acknowledgeResultsWildcard(this.defaultPolicy(), role)
    const prefixes = tables.map((table) => {
      const prefix = catalog.tablePrefixes[table]
      if (!prefix) throw new Error(`${this.node.path}: the catalog has no table ${table}`)
      return prefix
    })
    const unique = [...new Set(prefixes)]
    this.grantBucket(dataBucket, {
      read: unique.map((prefix) => `${prefix}*`),
      list: unique,
      location: true,
      why: "Athena reads the files of the Glue tables the function's queries read, with its credentials",
    })
    return this
  }
}
