#!/usr/bin/env node
// The npm registry mirror this project is built against lacks some other platforms' native binaries
// (biome's and DuckDB's macOS, Windows and some Linux builds). `npm install` then leaves those optional packages
// out of package-lock.json, and `npm ci` refuses the lockfile as out of sync. This adds the entries that npm
// writes upstream: each optional platform package with its version and the os/cpu/libc it installs on, so
// `npm ci` skips it on every other machine. Run it after `npm install` whenever the lockfile changes.
import { readFileSync, writeFileSync } from 'node:fs'

const LOCK = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(LOCK, 'utf8'))
const packages = lock.packages

const OS = ['android', 'darwin', 'linux', 'win32', 'freebsd']
const CPU = ['arm64', 'x64', 'ia32', 'arm']

/** Platform of a package named like `@scope/cli-linux-x64-musl`, or undefined when the name does not say. */
function platformOf(name) {
  const parts = name.split('/').at(-1).split('-')
  const os = parts.find((p) => OS.includes(p))
  const cpu = parts.find((p) => CPU.includes(p))
  if (!os || !cpu) return undefined
  const libc = os === 'linux' ? [parts.includes('musl') ? 'musl' : 'glibc'] : undefined
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) }
}

/** Whether `name` resolves from the package at `path`, as Node looks it up: nested node_modules, then upward. */
function resolvable(path, name) {
  for (let dir = path; ; ) {
    if (packages[`${dir}/node_modules/${name}`]) return true
    const up = dir.lastIndexOf('/node_modules/')
    if (up === -1) return Boolean(packages[`node_modules/${name}`])
    dir = dir.slice(0, up)
  }
}

let added = 0
for (const [path, entry] of Object.entries(packages)) {
  // a bundled package ships its own dependencies inside its tarball: npm does not resolve them
  if (!path.startsWith('node_modules/') || !entry.optionalDependencies || entry.inBundle) continue
  for (const [name, version] of Object.entries(entry.optionalDependencies)) {
    const key = `node_modules/${name}`
    if (resolvable(path, name)) continue
    const platform = platformOf(name)
    if (!platform)
      throw new Error(`${name} (optional dependency of ${path}) is missing and names no platform`)
    packages[key] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      ...(entry.license ? { license: entry.license } : {}),
      optional: true,
      ...platform,
    }
    added++
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
)
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`package-lock.json: ${added} optional platform package(s) added`)
