-- grain: one row per hotspot per ISO week (Monday to Monday, Europe/London) with a patrol allocation or a visit, through the last complete week ending on or before as_of
-- grain key: hotspot_id, week_start
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot
--   week_start                           date     Monday of the week (Europe/London)
--   visits                               bigint   patrol visits started in the week
--   minutes                              double   total visit minutes
--   compliant_visits                     bigint   visits of 10 to 16 minutes (Koper)
--   assigned_days                        bigint   days the hotspot was assigned a patrol
--   assigned_days_with_compliant_visit   bigint   of those, days with at least one compliant visit
--   share_assigned_days_compliant        double   assigned_days_with_compliant_visit / assigned_days; null without assigned days
--
-- Definitions (DESIGN section 7, dosage; where it is silent, the choices are marked "decision"):
-- - Hotspots: areas of role hotspot in `hotspots` for register_version. Visits and allocations naming any
--   other id (a control area, an unknown id) are left out (decision: the mart sits beside the scorecard,
--   whose rows are the register's hotspots).
-- - Visits: those of queries/shared/shr_patrol_visits.sql, the one home of which visits count: the patrol_visits
--   feed's (each record's version current as of as_of) and the patrols derived from GPS pings, without counting
--   a patrol twice; started on or before as_of. Allocations: the version current as of as_of (valid_from <=
--   as_of and (valid_to is null or valid_to > as_of)), dated on or before as_of.
-- - A visit belongs to the London day and week it started in (started_date), even when it ends after
--   midnight. minutes = (ended_at - started_at) in minutes, from date_diff('millisecond', ...) (decision:
--   whole milliseconds are exact on both engines, where whole seconds are counted differently by Trino
--   (elapsed) and DuckDB (boundaries crossed) for timestamps with fractions of a second).
-- - Compliant (Koper): 10 <= minutes <= 16, compared in milliseconds (600000 to 960000) so that the bounds
--   are exact; the bounds are set once, in queries/shared/shr_koper.sql.
-- - assigned_days: days of the week with an allocation row assigned = true. assigned_days_with_compliant_visit:
--   those days with at least one compliant visit to the hotspot that started on that London day.
-- - A week has a row when the hotspot has a visit that started in it or an allocation row for one of its
--   days, assigned or not (decision: a trial week in which the hotspot drew no patrol day shows
--   assigned_days 0, and any visits made anyway). Weeks after the last complete week have no row.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

last_week as (
  select date_add('day', -7, cast(date_trunc('week', date_add('day', 1, p.as_of)) as date)) as last_week_start
  from params as p
),

visits as (
  select
    v.hotspot_id,
    v.visit_id,
    v.started_date,
    cast(date_trunc('week', v.started_date) as date) as week_start,
    date_diff('millisecond', v.started_at, v.ended_at) as duration_ms
  from shr_patrol_visits as v
  inner join shr_hotspot_list as h
    on v.hotspot_id = h.hotspot_id
),

scored_visits as (
  select
    v.*,
    v.duration_ms between k.min_minutes * 60000 and k.max_minutes * 60000 as compliant
  from visits as v
  cross join shr_koper as k
),

allocations as (
  select
    a.hotspot_id,
    a.date as allocation_date,
    cast(date_trunc('week', a.date) as date) as week_start,
    coalesce(a.assigned, false) as assigned
  from stg_patrol_allocations as a
  cross join params as p
  inner join shr_hotspot_list as h
    on a.hotspot_id = h.hotspot_id
  where
    a.valid_from <= p.as_of
    and (a.valid_to is null or a.valid_to > p.as_of)
    and a.date <= p.as_of
),

compliant_days as (
  select distinct
    hotspot_id,
    started_date
  from scored_visits
  where compliant
),

weekly_visits as (
  select
    hotspot_id,
    week_start,
    count(*) as visits,
    cast(sum(duration_ms) as double) / 60000 as minutes,
    count_if(compliant) as compliant_visits
  from scored_visits
  group by hotspot_id, week_start
),

weekly_allocations as (
  select
    a.hotspot_id,
    a.week_start,
    count_if(a.assigned) as assigned_days,
    count_if(a.assigned and d.started_date is not null) as assigned_days_with_compliant_visit
  from allocations as a
  left join compliant_days as d
    on a.hotspot_id = d.hotspot_id and a.allocation_date = d.started_date
  group by a.hotspot_id, a.week_start
),

hotspot_weeks as (
  select hotspot_id, week_start from weekly_visits
  union distinct
  select hotspot_id, week_start from weekly_allocations
),

final as (
  select
    hw.hotspot_id,
    hw.week_start,
    cast(coalesce(v.visits, 0) as bigint) as visits,
    round(cast(coalesce(v.minutes, 0) as double), 6) as minutes,
    cast(coalesce(v.compliant_visits, 0) as bigint) as compliant_visits,
    cast(coalesce(a.assigned_days, 0) as bigint) as assigned_days,
    cast(coalesce(a.assigned_days_with_compliant_visit, 0) as bigint) as assigned_days_with_compliant_visit,
    round(
      case
        when a.assigned_days > 0 then cast(a.assigned_days_with_compliant_visit as double) / a.assigned_days
      end,
      6
    ) as share_assigned_days_compliant
  from hotspot_weeks as hw
  cross join last_week as l
  left join weekly_visits as v
    on hw.hotspot_id = v.hotspot_id and hw.week_start = v.week_start
  left join weekly_allocations as a
    on hw.hotspot_id = a.hotspot_id and hw.week_start = a.week_start
  where hw.week_start <= l.last_week_start
)

select * from final order by hotspot_id, week_start
