/**
 * A weekly scorecard input built by hand: whole mart rows for three hotspots (HS-01 and HS-02 are the
 * commander's, HS-77 belongs to someone else) over two weeks (2026-W45 and the report week 2026-W46), with
 * figures chosen so that each one is recognisable in the output. The expected strings in the tests are worked
 * out from these rows by hand.
 */
import type { MartRow, Recipient } from '../../../functions/core/reports/model.ts'
import { weeklyPeriod } from '../../../functions/core/reports/periods.ts'
import type {
  ScorecardHotspot,
  WeeklyScorecardInput,
  WeeklyScorecardRows,
} from '../../../functions/core/reports/weekly/figures.ts'
import { pngOf } from './mail-fixtures.ts'

export const PERIOD = weeklyPeriod('2026-W46')

export const COMMANDER: Recipient = {
  key: 'CMD-NORTH',
  name: 'Ch Insp Ada Okafor',
  email: 'ada.okafor@force.police.example',
  kind: 'commander',
  hotspotIds: ['HS-01', 'HS-02'],
}

export const HOTSPOTS: ScorecardHotspot[] = [
  { id: 'HS-01', name: 'Market Square', borough: 'Northgate' },
  { id: 'HS-02', name: 'Canal Walk', borough: 'Northgate' },
]

/** Another commander's hotspot: its id, name and figures must appear nowhere in CMD-NORTH's email. */
export const OTHER = { id: 'HS-77', name: 'Quarry Lane', borough: 'Southbank' }

const W45 = '2026-11-02'
const W46 = '2026-11-09'

function scorecardRow(hotspot_id: string, week_start: string, figures: MartRow): MartRow {
  const w46 = week_start === W46
  return {
    hotspot_id,
    week_start,
    week_end: w46 ? '2026-11-15' : '2026-11-08',
    iso_year: 2026,
    iso_week: w46 ? 46 : 45,
    weights_version: 'w-test',
    crime_count: 0,
    harm: 0,
    serious_violence_count: 0,
    serious_violence_harm: 0,
    arrests: 0,
    stop_searches: 0,
    tips: 0,
    count_last_year: null,
    harm_last_year: null,
    pct_change_last_year: null,
    z_last_year: null,
    flag: null,
    baseline_mean: null,
    baseline_sd: null,
    z_baseline: null,
    flag_baseline: null,
    baseline_harm_mean: null,
    baseline_harm_sd: null,
    count_28d: 0,
    harm_28d: 0,
    count_28d_last_year: null,
    z_28d: null,
    flag_28d: null,
    count_fytd: 0,
    harm_fytd: 0,
    count_fytd_last_year: null,
    z_fytd: null,
    flag_fytd: null,
    ...figures,
  }
}

/** The week before the report week: 999 crimes everywhere, so that reading the wrong week shows. */
const LAST_WEEK: MartRow = { crime_count: 999, harm: 8888.8, count_28d: 9999, harm_fytd: 77777.7 }

export function scorecardRows(): WeeklyScorecardRows {
  return {
    scorecard_weekly: [
      scorecardRow('HS-01', W45, LAST_WEEK),
      scorecardRow('HS-01', W46, {
        crime_count: 7,
        harm: 957.63,
        serious_violence_count: 3,
        serious_violence_harm: 753.42,
        arrests: 1,
        stop_searches: 4,
        tips: 2,
        count_last_year: 5,
        harm_last_year: 405.42,
        pct_change_last_year: 40,
        z_last_year: 0.8193666671296018,
        flag: 'no significant change',
        baseline_mean: 7.444444444444445,
        baseline_sd: 2.8771127502720115,
        z_baseline: -0.154475852363598,
        flag_baseline: 'no significant change',
        baseline_harm_mean: 850.25,
        baseline_harm_sd: 310.4,
        count_28d: 26,
        harm_28d: 3293.15,
        count_28d_last_year: 28,
        z_28d: -0.3849662170727939,
        flag_28d: 'no significant change',
        count_fytd: 211,
        harm_fytd: 21270.57,
        count_fytd_last_year: 238,
        z_fytd: -1.802819148415125,
        flag_fytd: 'no significant change',
      }),
      scorecardRow('HS-02', W45, LAST_WEEK),
      // no history: no last year, no baseline, no FYTD comparison; the 28 days rise significantly
      scorecardRow('HS-02', W46, {
        crime_count: 12,
        harm: 48.64,
        stop_searches: 1,
        count_28d: 40,
        harm_28d: 612.4,
        count_28d_last_year: 12,
        z_28d: 5.720775535473554,
        flag_28d: 'up',
        count_fytd: 311,
        harm_fytd: 4020.6,
      }),
      scorecardRow('HS-77', W45, LAST_WEEK),
      scorecardRow('HS-77', W46, {
        crime_count: 4321,
        harm: 98765.4,
        count_last_year: 4000,
        pct_change_last_year: 8.025,
        z_last_year: 4.9,
        flag: 'up',
        count_28d: 17001,
        harm_28d: 123456.7,
        count_fytd: 88888,
        harm_fytd: 555555.5,
      }),
    ],
    patrol_dosage: [
      {
        hotspot_id: 'HS-01',
        week_start: W45,
        visits: 91,
        minutes: 9191,
        compliant_visits: 9,
        assigned_days: 7,
        assigned_days_with_compliant_visit: 1,
        share_assigned_days_compliant: 1 / 7,
      },
      {
        hotspot_id: 'HS-01',
        week_start: W46,
        visits: 18,
        minutes: 211.1,
        compliant_visits: 15,
        assigned_days: 6,
        assigned_days_with_compliant_visit: 5,
        share_assigned_days_compliant: 5 / 6,
      },
      {
        hotspot_id: 'HS-77',
        week_start: W46,
        visits: 777,
        minutes: 7777,
        compliant_visits: 707,
        assigned_days: 7,
        assigned_days_with_compliant_visit: 7,
        share_assigned_days_compliant: 1,
      },
    ],
    // HS-02 has no presence measured from GPS: it has no presence line
    presence_weekly: [
      presenceRow('HS-01', W45, 999, 7, 7, 7, 0),
      presenceRow('HS-01', W46, 84.25, 5, 4, 3, 2),
      presenceRow('HS-77', W46, 777, 7, 7, 7, 0),
    ],
    patrol_effect: [
      effectRow('all', 'harm', 0.1),
      effectRow('HS-01', 'count', 0.9),
      {
        ...effectRow('HS-01', 'harm', 0.04267952468841729),
        n_assigned_days: 146,
        n_unassigned_days: 190,
        mean_assigned: 87.32904109589042,
        mean_unassigned: 91.22236842105264,
        effect_ci_low: -0.37547587173276664,
        effect_ci_high: 0.33371241816385067,
      },
      effectRow('HS-77', 'harm', 0.5),
    ],
    arrests_weekly: [
      arrestsRow('all', W46, 4444, 5, 'up'),
      arrestsRow('HS-01', W45, 61, 3, 'up'),
      // last year 0: the flag stands, the % change is null
      {
        ...arrestsRow('HS-01', W46, 1, 0, 'no significant change'),
        pct_change_last_year: null,
        z_last_year: 2,
      },
      arrestsRow('HS-02', W46, 0, null, null),
      arrestsRow('HS-77', W46, 4545, 12, 'up'),
    ],
    victim_satisfaction_monthly: [
      satisfactionRow('HS-01', '2026-10-01', 'q_overall', 40, 30, 75, 59.7627, 85.8127),
      // November has no answers yet: October is the latest month with data
      satisfactionRow('HS-01', '2026-11-01', 'q_overall', 0, 0, null, null, null),
      satisfactionRow('HS-01', '2026-11-01', 'q_ease', 20, 2, 10, 2.8, 30.1),
      satisfactionRow('HS-02', '2026-11-01', 'q_overall', 8, 5, 62.5, 30.57, 86.32),
      // a month after the report week is not read
      satisfactionRow('HS-02', '2026-12-01', 'q_overall', 90, 9, 10, 5.3, 17.9),
      satisfactionRow('HS-77', '2026-11-01', 'q_overall', 50, 47, 94, 83.8, 97.9),
      { ...satisfactionRow('all', '2026-11-01', 'q_overall', 500, 400, 80, 76.3, 83.2), group_type: 'all' },
    ],
    tips_monthly: [
      tipsRow('all', 'all', '2026-11-01', 60, 24, 14, 2),
      tipsRow('hotspot', 'HS-01', '2026-10-01', 50, 40, 30, 20),
      tipsRow('hotspot', 'HS-01', '2026-11-01', 3, 2, 1, 0),
      tipsRow('hotspot', 'HS-02', '2026-11-01', 0, 0, 0, 0),
      tipsRow('hotspot', 'HS-77', '2026-11-01', 71, 70, 69, 68),
      tipsRow('source_type', 'resident', '2026-11-01', 28, 10, 5, 1),
      tipsRow('source_type', 'youth_worker', '2026-11-01', 6, 3, 2, 0),
      tipsRow('source_type', 'shopkeeper', '2026-10-01', 13, 6, 1, 0),
    ],
    stop_search_monthly: [
      stopSearchRow('all', 'all', '2026-11-01', 384, 112, 57),
      stopSearchRow('hotspot', 'HS-01', '2026-10-01', 15, 5, 2),
      stopSearchRow('hotspot', 'HS-01', '2026-11-01', 10, 2, 1),
      stopSearchRow('hotspot', 'HS-02', '2026-11-01', 6, 1, 1),
      stopSearchRow('hotspot', 'HS-77', '2026-11-01', 333, 111, 55),
    ],
  }
}

function presenceRow(
  hotspot_id: string,
  week_start: string,
  minutes: number,
  daysMeasured: number,
  assignedDays: number,
  atTarget: number,
  passThroughs: number,
): MartRow {
  return {
    hotspot_id,
    week_start,
    days_measured: daysMeasured,
    presence_minutes: minutes,
    officer_minutes: minutes * 1.5,
    visits: daysMeasured * 2,
    days_with_presence: daysMeasured,
    assigned_days: assignedDays,
    assigned_days_at_target: atTarget,
    pass_throughs: passThroughs,
  }
}

function effectRow(scope: string, outcome: string, effect: number): MartRow {
  return {
    scope,
    outcome,
    n_assigned_days: 10,
    n_unassigned_days: 10,
    mean_assigned: 1,
    mean_unassigned: 2,
    sd_assigned: 1,
    sd_unassigned: 1,
    effect,
    effect_ci_low: effect - 0.2,
    effect_ci_high: effect + 0.2,
    weights_version: 'w-test',
  }
}

function arrestsRow(
  hotspot_id: string,
  week_start: string,
  arrests: number,
  lastYear: number | null,
  flag: string | null,
): MartRow {
  return {
    hotspot_id,
    week_start,
    arrests,
    arrests_last_year: lastYear,
    pct_change_last_year: lastYear ? (100 * (arrests - lastYear)) / lastYear : null,
    z_last_year: lastYear === null ? null : 2 * (Math.sqrt(arrests) - Math.sqrt(lastYear)),
    flag,
  }
}

function satisfactionRow(
  hotspot: string,
  month: string,
  question: string,
  nValid: number,
  nSatisfied: number,
  pct: number | null,
  ciLow: number | null,
  ciHigh: number | null,
): MartRow {
  return {
    month,
    group_type: 'hotspot',
    group_value: hotspot,
    question,
    n_sent: nValid * 3,
    n_responded: nValid,
    response_rate: nValid ? 1 / 3 : 0,
    n_valid: nValid,
    n_satisfied: nSatisfied,
    pct_satisfied: pct,
    ci_low: ciLow,
    ci_high: ciHigh,
    diff_vs_rest: null,
    diff_ci_low: null,
    diff_ci_high: null,
    median_hours_to_survey: 30,
    share_within_24h: 0.4,
  }
}

function tipsRow(
  group_type: string,
  group_value: string,
  month: string,
  received: number,
  actioned: number,
  interventions: number,
  arrests: number,
): MartRow {
  return {
    month,
    group_type,
    group_value,
    received,
    actioned_within_48h: actioned,
    share_actioned_within_48h: received ? actioned / received : null,
    interventions,
    arrests,
  }
}

function stopSearchRow(
  group_type: string,
  group_value: string,
  month: string,
  searches: number,
  finds: number,
  arrests: number,
): MartRow {
  return {
    month,
    group_type,
    group_value,
    searches,
    finds,
    find_rate: finds / searches,
    arrests,
    arrest_rate: arrests / searches,
    disproportionality: null,
  }
}

/** The charts the lead renders, as real PNGs: a harm and a patrol chart per hotspot and the heat map. */
export function scorecardImages(hotspots: ScorecardHotspot[] = HOTSPOTS) {
  return [
    ...hotspots.flatMap((h) => [
      {
        cid: `harm-${h.id}@hotspot`,
        filename: `harm-${h.id}.png`,
        content: pngOf(1200, '#1f4e79'),
        alt: `Weekly harm at ${h.name} against the seasonal band`,
      },
      {
        cid: `patrol-${h.id}@hotspot`,
        filename: `patrol-${h.id}.png`,
        content: pngOf(1200, '#c0392b'),
        alt: `Harm on patrol days and other days at ${h.name}`,
      },
    ]),
    {
      cid: 'heatmap@hotspot',
      filename: 'heatmap.png',
      content: pngOf(1200, '#f39c12'),
      alt: 'Heat map of harm by grid cell around your hotspots',
    },
  ]
}

export function scorecardInput(overrides: Partial<WeeklyScorecardInput> = {}): WeeklyScorecardInput {
  return {
    commander: COMMANDER,
    period: PERIOD,
    force: 'Northshire Police',
    hotspots: HOTSPOTS,
    rows: scorecardRows(),
    images: scorecardImages(),
    ...overrides,
  }
}

/** The visible text of an HTML document: no head, style or tags, entities decoded, whitespace collapsed. */
export function visibleText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/i, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<\/?(?:span|strong|b|em)\b[^>]*>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim()
}
