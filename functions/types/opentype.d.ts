/**
 * opentype.js 2 as the charts load it: its ESM build, `dist/opentype.mjs`, which Node and esbuild both read as
 * is. The package's `main` is a UMD build that Node sees as one default export, while esbuild (mainFields
 * module, main) picks the ESM build, which has no default export: only this path imports the same way in both.
 * (@types/opentype.js describes the 1.x root and pulls in the DOM library.) This is the part the charts use.
 */
declare module 'opentype.js/dist/opentype.mjs' {
  export interface Glyph {
    index: number
    /** In font units; a glyph past the font's last long horizontal metric has the last one's. */
    advanceWidth?: number
  }
  export interface Font {
    unitsPerEm: number
    /** The glyph the font's cmap gives a character (glyph 0, .notdef, when it has none). */
    charToGlyph(char: string): Glyph
  }
  /** `lowMemory` reads glyphs when first asked for, not the whole font up front. */
  export function parse(buffer: ArrayBuffer, options?: { lowMemory?: boolean }): Font
}
