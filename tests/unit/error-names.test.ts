import { describe, expect, it } from 'vitest'
import { sourceFiles } from './helpers/source-files.ts'

const ERROR_CLASS = /^([ \t]*)(?:export )?class (\w+) extends (\w*Error)\b[^\n]*$/gm

/**
 * The error classes declared in a source text whose body does not set `override name = '<ClassName>'`.
 * The name is a string literal, not `new.target.name`: the Lambda bundles are minified, which renames classes.
 */
function unnamedErrorClasses(text: string): string[] {
  const unnamed: string[] = []
  for (const match of text.matchAll(ERROR_CLASS)) {
    const [declaration, indent, className] = match as unknown as [string, string, string]
    const start = match.index + declaration.length
    const end = declaration.trimEnd().endsWith('{}') ? start : text.indexOf(`\n${indent}}`, start)
    if (!text.slice(start, end).includes(`override name = '${className}'`)) unnamed.push(className)
  }
  return unnamed
}

describe('error class names', () => {
  const files = sourceFiles('functions', 'lib', 'bin', 'bench', 'tests')

  it("every Error subclass sets its name to the class's name, so logs and the CLI say which error it was", () => {
    const declared = files.flatMap((file) => [...file.text.matchAll(ERROR_CLASS)].map((match) => match[2]))
    // the scan finds the classes (about 35 today), so an empty result below means something
    expect(declared.length).toBeGreaterThan(30)
    expect(declared).toContain('DropDateRefusedError')
    const unnamed = files.flatMap((file) =>
      unnamedErrorClasses(file.text).map((name) => `${file.path}: ${name}`),
    )
    expect(unnamed).toEqual([])
  })

  it('finds a class without a name, with an empty body or a constructor, and one named after another class', () => {
    const text = [
      'export class PlainError extends Error {}',
      'class BodyError extends FileRejectedError {',
      '  constructor(readonly file: string) {',
      '    super(file)',
      '  }',
      '}',
      'export class CopiedError extends Error {',
      "  override name = 'OtherError'",
      '}',
      'export class GoodError extends Error {',
      "  override name = 'GoodError'",
      '}',
    ].join('\n')
    expect(unnamedErrorClasses(text)).toEqual(['PlainError', 'BodyError', 'CopiedError'])
  })

  it('an instance carries the name', async () => {
    const { DropDateRefusedError } = await import('../../functions/core/ingest/drop-date.ts')
    const { FileRejectedError } = await import('../../functions/core/ingest/formats.ts')
    const error = new DropDateRefusedError('drop.csv', 'dated in the future')
    expect(error.name).toBe('DropDateRefusedError')
    expect(error).toBeInstanceOf(FileRejectedError)
    expect(String(error)).toBe('DropDateRefusedError: drop.csv: rejected: dated in the future')
  })
})
