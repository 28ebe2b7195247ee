/**
 * Every colour the reports use, named by what it does. The emails (both reports go through one MJML renderer) and
 * the charts draw from here, so a change of house style is one edit. Charts keep their own greys: they are drawn
 * on white at twice the size and read as images, not as text beside the email's.
 */

/** The email: page, bands, text and table rules. */
export const EMAIL = {
  /** Body text and table figures. */
  ink: '#101828',
  /** Secondary text: subtitles, table headings, notes. */
  muted: '#475467',
  /** The thin line under each table row. */
  rule: '#eaecf0',
  /** The heavier line under a table's heading row. */
  headingRule: '#d0d5dd',
  /** Behind the cards. */
  page: '#eef1f5',
  /** A card (section) behind its text. */
  card: '#ffffff',
  /** The masthead band and section headings. */
  band: '#0b2545',
  /** The stripe along the top of a section card. */
  accent: '#13315c',
  /** Main text on the masthead band. */
  onBand: '#ffffff',
  /** Secondary text on the masthead band. */
  onBandMuted: '#c9d6ea',
} as const

/** Pills that say whether a figure is worse, better, unchanged or has nothing to compare with. */
export const TONE = {
  bad: { background: '#fde8e7', text: '#a4161a' },
  good: { background: '#e3f4ea', text: '#0b6b3a' },
  neutral: { background: '#eef1f5', text: '#344054' },
  none: { background: '#f6f1e3', text: '#6b4e00' },
} as const

/** The charts (vega-lite), drawn on white. */
export const CHART = {
  background: 'white',
  /** Titles, bar labels, the whisker of an interval. */
  ink: '#1a1a1a',
  /** Subtitles, axis labels and titles, notes drawn in the chart. */
  muted: '#4a4a4a',
  grid: '#e6e6e6',
  /** Axis line and ticks. */
  axis: '#9a9a9a',
  /** The harm series (line and points). */
  harm: '#c2410c',
  /** The usual range band around the seasonal mean. */
  usualRange: '#9ecae1',
  /** The seasonal mean line. */
  baseline: '#3b76b0',
  /** Days with a patrol. */
  patrol: '#2b6cb0',
  /** Days without a patrol. */
  otherDays: '#9aa5b1',
  /** Heat map: a 25 m cell with no harm, and its border. */
  emptyCell: '#f0f0f0',
  emptyCellBorder: '#c8c8c8',
  /** Heat map: the outline of a hotspot. */
  hotspotOutline: '#111111',
  /** Heat map: the vega colour scheme for harm, and the part of it used (its palest end is too close to white). */
  harmScheme: { name: 'orangered', extent: [0.15, 1] as [number, number] },
} as const
