-- grain: one row per hotspot (role hotspot in register_version) per ISO week (Monday to Sunday, Europe/London) with presence measured from GPS pings on at least one of its days, through the last complete week ending on or before as_of
-- grain key: hotspot_id, week_start
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot
--   week_start                           date     Monday of the week (Europe/London)
--   days_measured                        bigint   days of the week with presence measured
--   presence_minutes                     double   minutes with at least one officer on foot present, added up over those days
--   officer_minutes                      double   foot visits' minutes added up
--   visits                               bigint   foot visits (one per device)
--   days_with_presence                   bigint   days with any presence
--   assigned_days                        bigint   measured days the hotspot was assigned a patrol
--   assigned_days_at_target              bigint   of those, days with at least the target dose of presence (Koper's 10 minutes)
--   pass_throughs                        bigint   vehicle runs through the hotspot, counted apart
--
-- Definitions (DESIGN section 12): each day's figures come from the presence run that speaks for it
-- (queries/shared/shr_presence_history.sql); a day without pings measured is left out, not counted as a day of
-- no presence. Assigned: an allocation row assigned = true (current version as of as_of). Target dose: Koper's
-- 10 minutes of presence in the day (queries/shared/shr_koper.sql min_minutes), as in dose_response. The weekly
-- scorecard prints the last complete week's row per hotspot: its presence against the target.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

last_week as (
  select date_add('day', -7, cast(date_trunc('week', date_add('day', 1, p.as_of)) as date)) as last_week_start
  from params as p
),

measured_days as (
  select
    h.hotspot_id,
    cast(date_trunc('week', h.visit_date) as date) as week_start,
    h.presence_minutes,
    h.officer_minutes,
    h.visits,
    h.pass_throughs,
    h.presence_minutes >= k.min_minutes as at_target,
    a.hotspot_id is not null as assigned
  from shr_presence_history as h
  inner join shr_hotspot_list as l
    on h.hotspot_id = l.hotspot_id
  cross join shr_koper as k
  left join shr_assigned_days as a
    on h.hotspot_id = a.hotspot_id and h.visit_date = a.date
),

final as (
  select
    d.hotspot_id,
    d.week_start,
    count(*) as days_measured,
    round(sum(d.presence_minutes), 6) as presence_minutes,
    round(sum(d.officer_minutes), 6) as officer_minutes,
    cast(sum(d.visits) as bigint) as visits,
    count_if(d.presence_minutes > 0) as days_with_presence,
    count_if(d.assigned) as assigned_days,
    count_if(d.assigned and d.at_target) as assigned_days_at_target,
    cast(sum(d.pass_throughs) as bigint) as pass_throughs
  from measured_days as d
  cross join last_week as w
  where d.week_start <= w.last_week_start
  group by d.hotspot_id, d.week_start
)

select * from final
order by hotspot_id, week_start
