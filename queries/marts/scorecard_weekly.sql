-- grain: one row per hotspot per ISO week (Monday 00:00 to Monday 00:00, Europe/London) from the ISO week holding the programme start (the earliest clear_from of the register's hotspots) through the last complete week ending on or before as_of; every hotspot gets every week, zero included
-- grain key: hotspot_id, week_start
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot (register area_id, role hotspot)
--   week_start                           date     Monday of the week (Europe/London)
--   week_end                             date     Sunday of the week
--   iso_year                             integer  ISO year of the week
--   iso_week                             integer  ISO week number (1..53)
--   weights_version                      varchar  harm weights used
--   crime_count                          bigint   incidents in the hotspot in the week (anti-social behaviour included)
--   harm                                 double   sum of CCHI days
--   serious_violence_count               bigint   serious violence incidents (DESIGN 7)
--   serious_violence_harm                double   their harm
--   arrests                              bigint   arrests located in the hotspot
--   stop_searches                        bigint   stop and searches located in the hotspot
--   tips                                 bigint   tips naming the hotspot or located in it
--   count_last_year                      bigint   crime_count in the same ISO week of the previous ISO year (week 53 compares with week 52); null when the lake has no incident data for that week
--   harm_last_year                       double   harm in that week; null with count_last_year
--   pct_change_last_year                 double   100 * (crime_count - count_last_year) / count_last_year; null when count_last_year is 0 or null
--   z_last_year                          double   2 * (sqrt(crime_count) - sqrt(count_last_year)); null with count_last_year
--   flag                                 varchar  up (z >= 3), down (z <= -3), no significant change; null with count_last_year
--   baseline_mean                        double   mean crime_count over the same ISO week and its two neighbours in each of the 3 previous ISO years (9 values); null unless the lake has incident data for all 9 weeks
--   baseline_sd                          double   their sample standard deviation; null with baseline_mean
--   z_baseline                           double   (crime_count - baseline_mean) / baseline_sd; null when baseline_sd is 0 or null
--   flag_baseline                        varchar  up, down or no significant change, by z_baseline against 3 and -3 (no significant change when baseline_sd is 0); null with baseline_mean
--   count_28d                            bigint   crime_count over the 28 local days ending on week_end
--   harm_28d                             double   harm over those 28 days
--   count_28d_last_year                  bigint   the same 28 days shifted back 364 days; null when the lake has no incident data for all of them
--   z_28d                                double   2 * (sqrt(count_28d) - sqrt(count_28d_last_year)); null with count_28d_last_year
--   flag_28d                             varchar  by z_28d; null with it
--   count_fytd                           bigint   crime_count from 1 April of the financial year containing week_end through week_end
--   harm_fytd                            double   harm over the same days
--   count_fytd_last_year                 bigint   the same days shifted back 364 days; null when the lake has no incident data for all of them
--   z_fytd                               double   2 * (sqrt(count_fytd) - sqrt(count_fytd_last_year)); null with count_fytd_last_year
--   flag_fytd                            varchar  by z_fytd; null with it
--   baseline_harm_mean                   double   mean harm over the 9 baseline weeks of baseline_mean; null with baseline_mean
--   baseline_harm_sd                     double   their sample standard deviation; null with baseline_mean
--
-- Definitions (DESIGN section 7; where it is silent, the choices are marked "decision"):
-- - Hotspots: the areas of role hotspot in `hotspots` for register_version. Their cells: `area_cells` rows of
--   role hotspot for that register version, whatever the area's phase dates (decision: last year and the
--   baseline precede the programme by design, so the area is the same fixed place in every period). A cell in
--   two hotspots counts for both.
-- - Weeks: from the ISO week holding the earliest clear_from of those hotspots through the last week whose
--   Sunday is on or before as_of. Without any clear_from: the 52 weeks ending with that last complete week.
--   Periods are London local days (the staging *_date columns), so a week across a clock change holds 167
--   or 169 hours.
-- - Records: the version current as of as_of (valid_from <= as_of and (valid_to is null or valid_to >
--   as_of)) with its London date on or before as_of, located in a hotspot cell.
-- - Incidents are dated by reported_date (DESIGN section 7: scorecards date an event by when it was recorded, as
--   police performance figures do; occurred_at is optional and a late report would otherwise rewrite old weeks).
--   Only patrol_effect dates by occurrence: its trial compares the days themselves.
--   Anti-social behaviour and police-initiated records are counted (DESIGN: counted, no harm). Records of
--   period_precision month (data.police.uk: dated the 1st of the month) are left out (decision: they cannot be
--   placed in a week; counted at the 1st they would make a spike). harm and serious violence come from
--   stg_incident_harm for weights_version (every crime type has a category weight: the loader requires it).
-- - arrests (arrested_date), stop_searches (searched_date): located in a hotspot cell; records without a
--   location count for no hotspot. tips (received_date): located in a hotspot cell or naming it in
--   hotspot_id; a tip counts once per hotspot (a tip naming one hotspot and located in another counts for both).
-- - Same week last year: ISO week w of ISO year y - 1, or its last week (52) when w = 53 and y - 1 has none.
-- - Seasonal baseline: for k = 1, 2, 3 the anchor week is ISO week w of ISO year y - k (decision: week 53 reads
--   as week 52 in a year without a week 53, as the last-year comparison does); the 9 values are each anchor
--   week and the weeks just before and after it (so week 1 and week 52 neighbours cross into the adjacent
--   ISO year). Mean and sample SD from integer sums: sd = sqrt((9 * sum(x^2) - sum(x)^2) / (9 * 8)), which
--   is exact for counts and the same on both engines. z_baseline is null when sd = 0 (flag no significant
--   change, as a zero baseline gives).
-- - Harm baseline: the same 9 weeks, on harm: each week's harm rounded to 6 decimals, then mean and sample SD
--   in two passes (sqrt(sum((x - mean)^2) / 8): the integer formula of the counts would lose the digits of a
--   non-integer harm to cancellation), both rounded to 6 decimals. Null under the count baseline's rule.
-- - 28-day: week_end - 27 .. week_end; last year: those days - 364. FYTD: 1 April of the financial year
--   holding week_end (this year's 1 April when week_end is in April or later, else last year's) through
--   week_end; last year: those days - 364.
-- - Change flags: Poisson Z = 2(sqrt(current) - sqrt(comparison)); up when Z >= 3, down when Z <= -3, else no
--   significant change. The percentage is null when the comparison is 0.
-- - Data coverage (decision): the lake's incident data start on the earliest reported_date of any current
--   incident (any location, day precision). A comparison period that begins before that day is unknown, not
--   zero: its count, harm, percentage, Z and flag are null (a baseline needs all 9 weeks covered). Otherwise a
--   force that loaded a year of history would see 'up' against an empty last year.
-- - harm sums are rounded to 6 decimals so reruns give identical values whatever the summation order.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

report_weeks as (
  select
    week_start,
    date_add('day', 6, week_start) as week_end,
    cast(year_of_week(week_start) as integer) as iso_year,
    cast(week_of_year(week_start) as integer) as iso_week,
    date_add(
      'month',
      case when month(date_add('day', 6, week_start)) >= 4 then 3 else -9 end,
      cast(date_trunc('year', date_add('day', 6, week_start)) as date)
    ) as fy_start
  from shr_report_week_starts
),

-- ISO years back to 3 before the first report week: week 1 starts on the Monday of the week holding
-- 4 January; 28 December is always in the last week, so its week number is the year's number of weeks
iso_years as (
  select
    cast(t.iso_year as integer) as iso_year,
    cast(date_trunc('week', cast(concat(cast(t.iso_year as varchar), '-01-04') as date)) as date) as week1_start,
    cast(week_of_year(cast(concat(cast(t.iso_year as varchar), '-12-28') as date)) as integer) as weeks_in_year
  from shr_report_range as r
  cross join
    unnest(
      sequence(year(r.first_week_start) - 4, greatest(year(r.first_week_start), year(r.last_week_start)), 1)
    ) as t (iso_year)
),

-- the same ISO week in each of the 3 previous ISO years (week 53 reads as 52 in a year without one)
anchor_weeks as (
  select
    w.week_start,
    a.k,
    date_add('day', 7 * (least(w.iso_week, y.weeks_in_year) - 1), y.week1_start) as anchor_start
  from report_weeks as w
  cross join (values (1), (2), (3)) as a (k)
  inner join iso_years as y
    on y.iso_year = w.iso_year - a.k
),

-- every period a report week needs, as London day ranges
periods as (
  select week_start, 'week' as kind, week_start as period_from, week_end as period_to
  from report_weeks
  union all
  select week_start, 'last_year' as kind, anchor_start as period_from, date_add('day', 6, anchor_start) as period_to
  from anchor_weeks
  where k = 1
  union all
  select
    a.week_start,
    'baseline' as kind,
    date_add('day', 7 * n.neighbour, a.anchor_start) as period_from,
    date_add('day', 7 * n.neighbour + 6, a.anchor_start) as period_to
  from anchor_weeks as a
  cross join (values (-1), (0), (1)) as n (neighbour)
  union all
  select week_start, '28d' as kind, date_add('day', -27, week_end) as period_from, week_end as period_to
  from report_weeks
  union all
  select
    week_start,
    '28d_last_year' as kind,
    date_add('day', -27 - 364, week_end) as period_from,
    date_add('day', -364, week_end) as period_to
  from report_weeks
  union all
  select week_start, 'fytd' as kind, fy_start as period_from, week_end as period_to
  from report_weeks
  union all
  select
    week_start,
    'fytd_last_year' as kind,
    date_add('day', -364, fy_start) as period_from,
    date_add('day', -364, week_end) as period_to
  from report_weeks
),

-- the incidents are read once: Trino re-evaluates a CTE at each reference, so everything below (coverage,
-- every period, the baselines) comes from this one pass and from the single reference to daily_incidents
current_incidents as (
  select
    i.reported_date,
    i.cell_x,
    i.cell_y,
    i.harm,
    i.serious_violence
  from stg_incident_harm as i
  cross join params as p
  where
    i.weights_version = p.weights_version
    and i.valid_from <= p.as_of
    and (i.valid_to is null or i.valid_to > p.as_of)
    and i.reported_date <= p.as_of
    and coalesce(i.period_precision, 'exact') <> 'month'
),

-- per hotspot and day; the incidents in no hotspot cell (or without a location) are kept as one group with a
-- null hotspot and day, so that data_from, the earliest day of any current incident, is a window over this
-- same aggregate
daily_incidents as (
  select
    c.hotspot_id,
    case when c.hotspot_id is not null then i.reported_date end as event_day,
    count(*) as crimes,
    sum(i.harm) as harm,
    count_if(i.serious_violence) as serious_violence_crimes,
    coalesce(sum(i.harm) filter (where i.serious_violence), 0) as serious_violence_harm,
    min(min(i.reported_date)) over () as data_from
  from current_incidents as i
  left join shr_hotspot_cells as c
    on i.cell_x = c.cell_x and i.cell_y = c.cell_y
  group by c.hotspot_id, case when c.hotspot_id is not null then i.reported_date end
),

hotspot_periods as (
  select
    h.hotspot_id,
    pr.week_start,
    pr.kind,
    pr.period_from,
    pr.period_to
  from shr_hotspot_list as h
  cross join periods as pr
),

-- a full join keeps every hotspot period (zero when empty) and every incident day: the days of no period and
-- of no hotspot fall in one group with a null hotspot, so data_from reaches the window below whatever matches
period_sums as (
  select
    hp.hotspot_id,
    hp.week_start,
    hp.kind,
    hp.period_from,
    coalesce(sum(d.crimes), 0) as crimes,
    coalesce(sum(d.harm), 0) as harm,
    coalesce(sum(d.serious_violence_crimes), 0) as serious_violence_crimes,
    coalesce(sum(d.serious_violence_harm), 0) as serious_violence_harm,
    max(d.data_from) as data_from
  from hotspot_periods as hp
  full outer join daily_incidents as d
    on hp.hotspot_id = d.hotspot_id
    and d.event_day between hp.period_from and hp.period_to
  group by hp.hotspot_id, hp.week_start, hp.kind, hp.period_from, hp.period_to
),

-- covered: the period starts on or after the earliest day of any current incident (see Data coverage)
period_coverage as (
  select
    *,
    coalesce(period_from >= max(data_from) over (), false) as covered
  from period_sums
),

-- the harm baseline's mean over a hotspot-week's 9 baseline weeks (each week's harm rounded to 6 decimals), as a
-- window: joining the weeks back to their mean would evaluate the periods (and scan the incidents) again
period_totals as (
  select
    *,
    sum(round(harm, 6)) over (partition by hotspot_id, week_start, kind)
    / count(*) over (partition by hotspot_id, week_start, kind) as kind_harm_mean
  from period_coverage
  where hotspot_id is not null
),

hotspot_weeks as (
  select
    hotspot_id,
    week_start,
    max(crimes) filter (where kind = 'week') as crime_count,
    max(harm) filter (where kind = 'week') as harm,
    max(serious_violence_crimes) filter (where kind = 'week') as serious_violence_count,
    max(serious_violence_harm) filter (where kind = 'week') as serious_violence_harm,
    max(crimes) filter (where kind = 'last_year' and covered) as count_last_year,
    max(harm) filter (where kind = 'last_year' and covered) as harm_last_year,
    count_if(kind = 'baseline') as baseline_weeks,
    count_if(kind = 'baseline' and covered) as baseline_weeks_covered,
    sum(crimes) filter (where kind = 'baseline') as baseline_sum,
    sum(crimes * crimes) filter (where kind = 'baseline') as baseline_sum_squares,
    max(kind_harm_mean) filter (where kind = 'baseline') as baseline_harm_mean,
    sum(power(round(harm, 6) - kind_harm_mean, 2)) filter (where kind = 'baseline') as baseline_harm_squares,
    max(crimes) filter (where kind = '28d') as count_28d,
    max(harm) filter (where kind = '28d') as harm_28d,
    max(crimes) filter (where kind = '28d_last_year' and covered) as count_28d_last_year,
    max(crimes) filter (where kind = 'fytd') as count_fytd,
    max(harm) filter (where kind = 'fytd') as harm_fytd,
    max(crimes) filter (where kind = 'fytd_last_year' and covered) as count_fytd_last_year
  from period_totals
  group by hotspot_id, week_start
),

arrest_weeks as (
  select
    c.hotspot_id,
    cast(date_trunc('week', a.arrested_date) as date) as week_start,
    count(*) as arrests
  from stg_arrests as a
  cross join params as p
  inner join shr_hotspot_cells as c
    on a.cell_x = c.cell_x and a.cell_y = c.cell_y
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.arrested_date <= p.as_of
  group by c.hotspot_id, cast(date_trunc('week', a.arrested_date) as date)
),

stop_search_weeks as (
  select
    c.hotspot_id,
    cast(date_trunc('week', s.searched_date) as date) as week_start,
    count(*) as stop_searches
  from stg_stop_searches as s
  cross join params as p
  inner join shr_hotspot_cells as c
    on s.cell_x = c.cell_x and s.cell_y = c.cell_y
  where
    s.valid_from <= p.as_of
    and (s.valid_to is null or s.valid_to > p.as_of)
    and s.searched_date <= p.as_of
  group by c.hotspot_id, cast(date_trunc('week', s.searched_date) as date)
),

current_tips as (
  select
    t.tip_id,
    t.hotspot_id,
    t.cell_x,
    t.cell_y,
    cast(date_trunc('week', t.received_date) as date) as week_start
  from stg_tips as t
  cross join params as p
  where
    t.valid_from <= p.as_of
    and (t.valid_to is null or t.valid_to > p.as_of)
    and t.received_date <= p.as_of
),

-- each current tip with each hotspot it counts for: the hotspots whose cells hold it and the one it names, in
-- one pass over the tips (a union of the two would read them twice); distinct keeps a tip once per hotspot
hotspot_tips as (
  select distinct
    case when s.by_cell then c.hotspot_id else h.hotspot_id end as hotspot_id,
    t.tip_id,
    t.week_start
  from current_tips as t
  left join shr_hotspot_cells as c
    on t.cell_x = c.cell_x and t.cell_y = c.cell_y
  left join shr_hotspot_list as h
    on t.hotspot_id = h.hotspot_id
  cross join (values (true), (false)) as s (by_cell)
  where case when s.by_cell then c.hotspot_id else h.hotspot_id end is not null
),

tip_weeks as (
  select
    hotspot_id,
    week_start,
    count(*) as tips
  from hotspot_tips
  group by hotspot_id, week_start
),

compared as (
  select
    hw.*,
    case
      when hw.baseline_weeks = 9 and hw.baseline_weeks_covered = 9
        then cast(hw.baseline_sum as double) / hw.baseline_weeks
    end as baseline_mean,
    case
      when hw.baseline_weeks = 9 and hw.baseline_weeks_covered = 9
        then sqrt(
          cast(hw.baseline_weeks * hw.baseline_sum_squares - hw.baseline_sum * hw.baseline_sum as double)
          / (hw.baseline_weeks * (hw.baseline_weeks - 1))
        )
    end as baseline_sd,
    2 * (sqrt(hw.crime_count) - sqrt(hw.count_last_year)) as z_last_year,
    2 * (sqrt(hw.count_28d) - sqrt(hw.count_28d_last_year)) as z_28d,
    2 * (sqrt(hw.count_fytd) - sqrt(hw.count_fytd_last_year)) as z_fytd
  from hotspot_weeks as hw
),

scored as (
  select
    c.*,
    case when c.baseline_sd > 0 then (c.crime_count - c.baseline_mean) / c.baseline_sd end as z_baseline
  from compared as c
),

final as (
  select
    s.hotspot_id,
    w.week_start,
    w.week_end,
    w.iso_year,
    w.iso_week,
    p.weights_version,
    cast(s.crime_count as bigint) as crime_count,
    cast(round(s.harm, 6) as double) as harm,
    cast(s.serious_violence_count as bigint) as serious_violence_count,
    cast(round(s.serious_violence_harm, 6) as double) as serious_violence_harm,
    cast(coalesce(a.arrests, 0) as bigint) as arrests,
    cast(coalesce(ss.stop_searches, 0) as bigint) as stop_searches,
    cast(coalesce(t.tips, 0) as bigint) as tips,
    cast(s.count_last_year as bigint) as count_last_year,
    cast(round(s.harm_last_year, 6) as double) as harm_last_year,
    round(
      case
        when s.count_last_year > 0
          then 100 * cast(s.crime_count - s.count_last_year as double) / s.count_last_year
      end,
      6
    ) as pct_change_last_year,
    round(cast(s.z_last_year as double), 6) as z_last_year,
    case
      when s.z_last_year >= 3 then 'up'
      when s.z_last_year <= -3 then 'down'
      when s.z_last_year is not null then 'no significant change'
    end as flag,
    round(cast(s.baseline_mean as double), 6) as baseline_mean,
    round(cast(s.baseline_sd as double), 6) as baseline_sd,
    round(cast(s.z_baseline as double), 6) as z_baseline,
    case
      when s.baseline_mean is null then cast(null as varchar)
      when s.z_baseline >= 3 then 'up'
      when s.z_baseline <= -3 then 'down'
      else 'no significant change'
    end as flag_baseline,
    cast(s.count_28d as bigint) as count_28d,
    cast(round(s.harm_28d, 6) as double) as harm_28d,
    cast(s.count_28d_last_year as bigint) as count_28d_last_year,
    round(cast(s.z_28d as double), 6) as z_28d,
    case
      when s.z_28d >= 3 then 'up'
      when s.z_28d <= -3 then 'down'
      when s.z_28d is not null then 'no significant change'
    end as flag_28d,
    cast(s.count_fytd as bigint) as count_fytd,
    cast(round(s.harm_fytd, 6) as double) as harm_fytd,
    cast(s.count_fytd_last_year as bigint) as count_fytd_last_year,
    round(cast(s.z_fytd as double), 6) as z_fytd,
    case
      when s.z_fytd >= 3 then 'up'
      when s.z_fytd <= -3 then 'down'
      when s.z_fytd is not null then 'no significant change'
    end as flag_fytd,
    case when s.baseline_mean is not null then cast(round(s.baseline_harm_mean, 6) as double) end as baseline_harm_mean,
    case
      when s.baseline_mean is not null
        then cast(round(sqrt(s.baseline_harm_squares / (s.baseline_weeks - 1)), 6) as double)
    end as baseline_harm_sd
  from scored as s
  cross join params as p
  inner join report_weeks as w
    on s.week_start = w.week_start
  left join arrest_weeks as a
    on s.hotspot_id = a.hotspot_id and s.week_start = a.week_start
  left join stop_search_weeks as ss
    on s.hotspot_id = ss.hotspot_id and s.week_start = ss.week_start
  left join tip_weeks as t
    on s.hotspot_id = t.hotspot_id and s.week_start = t.week_start
)

select * from final order by hotspot_id, week_start
