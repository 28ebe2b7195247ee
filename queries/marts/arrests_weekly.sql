-- grain: one row per hotspot (and one for all hotspots, hotspot_id all) per ISO week (Monday to Monday, Europe/London), the same weeks as scorecard_weekly: from the ISO week holding the programme start (earliest clear_from of the register's hotspots) through the last complete week ending on or before as_of; zero included
-- grain key: hotspot_id, week_start
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot, or all
--   week_start                           date     Monday of the week (Europe/London)
--   arrests                              bigint   arrests in the week located in the hotspot(s)
--   arrests_last_year                    bigint   the same ISO week of the previous ISO year (week 53 compares with week 52); null when the lake has no arrest data for that week
--   pct_change_last_year                 double   100 * (arrests - arrests_last_year) / arrests_last_year; null when that is 0 or null
--   z_last_year                          double   2 * (sqrt(arrests) - sqrt(arrests_last_year)); null with arrests_last_year
--   flag                                 varchar  up (z >= 3), down (z <= -3) or no significant change; null with arrests_last_year
--
-- Definitions (DESIGN section 7, arrests: count in period vs the same period last year, with the change flag;
-- where it is silent, the choices are marked "decision"):
-- - Hotspots and weeks as scorecard_weekly: areas of role hotspot in `hotspots` for register_version; weeks
--   from the ISO week of their earliest clear_from (without one: the 52 weeks ending with the last complete
--   week) through the last week whose Sunday is on or before as_of; London local dates (arrested_date).
-- - Arrests: the version current as of as_of (valid_from <= as_of and (valid_to is null or valid_to > as_of)),
--   arrested_date on or before as_of, located in one of the hotspot's 25 m cells (area_cells, role hotspot,
--   register version, whatever the phase dates). An arrest without a location counts for no hotspot.
-- - all: arrests located in any hotspot cell, each arrest once (decision: an arrest in a cell shared by two
--   hotspots counts for both hotspots but once in all). There is an all row only when there is a hotspot.
-- - Same week last year: ISO week w of ISO year y - 1, or its last week (52) when w = 53 and y - 1 has none.
-- - Change flag: Poisson Z = 2(sqrt(current) - sqrt(last year)); up when Z >= 3, down when Z <= -3, else no
--   significant change; the percentage is null when last year is 0.
-- - Data coverage (decision, as scorecard_weekly): arrest data start on the earliest arrested_date of any
--   current arrest (any location). A last-year week that begins before that day is unknown, not zero: its
--   count, percentage, Z and flag are null.
-- - Rows ordered by hotspot_id (all sorts among the ids) then week_start.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

areas as (
  select hotspot_id from shr_hotspot_list
  union all
  select distinct 'all' as hotspot_id from shr_hotspot_list
),

report_weeks as (
  select
    week_start,
    cast(year_of_week(week_start) as integer) as iso_year,
    cast(week_of_year(week_start) as integer) as iso_week
  from shr_report_week_starts
),

-- ISO years before the report weeks: week 1 starts on the Monday of the week holding 4 January; 28 December
-- is always in the last week, so its week number is the year's number of weeks
iso_years as (
  select
    cast(t.iso_year as integer) as iso_year,
    cast(date_trunc('week', cast(concat(cast(t.iso_year as varchar), '-01-04') as date)) as date) as week1_start,
    cast(week_of_year(cast(concat(cast(t.iso_year as varchar), '-12-28') as date)) as integer) as weeks_in_year
  from shr_report_range as r
  cross join
    unnest(
      sequence(year(r.first_week_start) - 2, greatest(year(r.first_week_start), year(r.last_week_start)), 1)
    ) as t (iso_year)
),

-- the same ISO week of the previous ISO year (week 53 reads as 52 in a year without one)
comparison_weeks as (
  select
    w.week_start,
    date_add('day', 7 * (least(w.iso_week, y.weeks_in_year) - 1), y.week1_start) as last_year_start
  from report_weeks as w
  inner join iso_years as y
    on y.iso_year = w.iso_year - 1
),

-- the arrests are read once: Trino re-evaluates a CTE at each reference, so the hotspot and all counts, the
-- last-year weeks and the data coverage below all come from this one pass and the single reference to weekly
current_arrests as (
  select
    a.arrest_id,
    a.arrested_date,
    a.cell_x,
    a.cell_y
  from stg_arrests as a
  cross join params as p
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.arrested_date <= p.as_of
),

-- the cells each area counts arrests in: a hotspot's own cells, and every hotspot cell once more for all (a
-- cell of two hotspots once), so an arrest meets all at most once. Built from the small cell list (no feed),
-- so it may name shr_hotspot_cells twice
counting_cells as (
  select hotspot_id, cell_x, cell_y
  from shr_hotspot_cells
  union all
  select distinct 'all' as hotspot_id, cell_x, cell_y
  from shr_hotspot_cells
),

-- per area and week, in one aggregate over the one pass (a union of a hotspot branch and an all branch would
-- read the arrests twice). The arrests in no hotspot cell (or without a location) are kept as one group with
-- a null area and week, so that data_from, the earliest day of any current arrest, is a window over this same
-- aggregate. all counts distinct arrest ids, as its definition says; the case inside the distinct count
-- keeps the other groups' rows (most arrests: those of no hotspot) out of its hashing
weekly as (
  select
    c.hotspot_id,
    case when c.hotspot_id is not null then cast(date_trunc('week', a.arrested_date) as date) end as week_start,
    case
      when c.hotspot_id = 'all' then count(distinct case when c.hotspot_id = 'all' then a.arrest_id end)
      else count(*)
    end as arrests,
    min(min(a.arrested_date)) over () as data_from
  from current_arrests as a
  left join counting_cells as c
    on a.cell_x = c.cell_x and a.cell_y = c.cell_y
  group by
    c.hotspot_id,
    case when c.hotspot_id is not null then cast(date_trunc('week', a.arrested_date) as date) end
),

-- the two weeks each report week needs: itself and its week last year
periods as (
  select week_start, 'week' as kind, week_start as period_start
  from report_weeks
  union all
  select week_start, 'last_year' as kind, last_year_start as period_start
  from comparison_weeks
),

-- every area (the hotspots and all) with every period: zero when it has no arrests
area_periods as (
  select
    a.hotspot_id,
    pr.week_start,
    pr.kind,
    pr.period_start
  from areas as a
  cross join periods as pr
),

-- a full join keeps every area period (zero when empty) and every weekly group: the weeks of no period and the
-- arrests of no hotspot fall in one group with a null area, so data_from reaches the window below whatever
-- matches (joining weekly once for this week and again for last year would read the arrests twice)
period_counts as (
  select
    ap.hotspot_id,
    ap.week_start,
    ap.kind,
    ap.period_start,
    cast(coalesce(sum(w.arrests), 0) as bigint) as arrests,
    max(w.data_from) as data_from
  from area_periods as ap
  full outer join weekly as w
    on ap.hotspot_id = w.hotspot_id and ap.period_start = w.week_start
  group by ap.hotspot_id, ap.week_start, ap.kind, ap.period_start
),

-- covered: the period starts on or after the earliest day of any current arrest (see Data coverage)
period_coverage as (
  select
    *,
    coalesce(period_start >= max(data_from) over (), false) as covered
  from period_counts
),

compared as (
  select
    hotspot_id,
    week_start,
    max(arrests) filter (where kind = 'week') as arrests,
    max(arrests) filter (where kind = 'last_year' and covered) as arrests_last_year
  from period_coverage
  where hotspot_id is not null
  group by hotspot_id, week_start
),

final as (
  select
    hotspot_id,
    week_start,
    cast(arrests as bigint) as arrests,
    cast(arrests_last_year as bigint) as arrests_last_year,
    round(
      case
        when arrests_last_year > 0 then 100 * cast(arrests - arrests_last_year as double) / arrests_last_year
      end,
      6
    ) as pct_change_last_year,
    round(2 * (sqrt(arrests) - sqrt(arrests_last_year)), 6) as z_last_year,
    case
      when 2 * (sqrt(arrests) - sqrt(arrests_last_year)) >= 3 then 'up'
      when 2 * (sqrt(arrests) - sqrt(arrests_last_year)) <= -3 then 'down'
      when arrests_last_year is not null then 'no significant change'
    end as flag
  from compared
)

select * from final order by hotspot_id, week_start
