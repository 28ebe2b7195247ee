-- grain: one row per patrol visit the marts count as of as_of (started on or before it): the patrol_visits feed's
--   and the patrols derived from GPS pings, combined so that no patrol counts twice
-- parameters: reads params.as_of
-- columns: visit_id, hotspot_id, started_date (London), started_at, ended_at, officers, source (gps, manual or
--   null as sent; gps for a derived patrol). patrol_dosage and funder_monthly count these: the one home of the rule.
-- Definitions (DESIGN section 12; "decision" marks what DESIGN leaves open):
-- - Sent visits: each visit_id's version current as of as_of.
-- - Derived patrols: the foot visits of presence_visits (runs of pings in a hotspot) grouped into patrols
--   (visits of the same London day that overlap or chain: two officers walking together are one patrol of 2
--   officers, as a hand-written visit would be), from the presence run that covered the day last, on or before
--   as_of: each night's run computes its window's days again, and the latest run that holds a day (presence_daily
--   has a row for every hotspot and day of a run's window, with or without presence) has the most pings.
--   visit_id: gps-<hotspot>-<start in epoch milliseconds>.
-- - Combined (decision): on a hotspot-day with a derived patrol, the sent visits marked gps are left out (the
--   pings measure the same patrols), and so is a sent visit of any other source that overlaps a derived patrol
--   in time (the same patrol, also logged by hand). Every other sent visit counts: a hotspot-day without derived
--   patrols (no pings, or before pings began) keeps all its sent visits.
with covering_runs as (
  select
    d.visit_date,
    max(d.as_of) as as_of
  from presence_daily as d
  cross join params as p
  where d.as_of <= p.as_of
  group by d.visit_date
),

derived as (
  select
    v.hotspot_id,
    v.visit_date as started_date,
    v.patrol_started_at as started_at,
    max(v.ended_at) as ended_at,
    count(distinct v.device_id) as officers
  from presence_visits as v
  inner join covering_runs as c
    on v.visit_date = c.visit_date and v.as_of = c.as_of
  where v.kind = 'foot'
  group by v.hotspot_id, v.visit_date, v.patrol_started_at
),

sent as (
  select
    v.visit_id,
    v.hotspot_id,
    v.started_date,
    v.started_at,
    v.ended_at,
    v.officers,
    v.source
  from stg_patrol_visits as v
  cross join params as p
  where
    v.valid_from <= p.as_of
    and (v.valid_to is null or v.valid_to > p.as_of)
    and v.started_date <= p.as_of
),

final as (
  select
    s.visit_id,
    s.hotspot_id,
    s.started_date,
    s.started_at,
    s.ended_at,
    s.officers,
    s.source
  from sent as s
  where
    not exists (
      select 1
      from derived as d
      where
        d.hotspot_id = s.hotspot_id
        and d.started_date = s.started_date
        and (s.source = 'gps' or (s.started_at < d.ended_at and d.started_at < s.ended_at))
    )
  union all
  select
    concat(
      'gps-',
      d.hotspot_id,
      '-',
      cast(date_diff('millisecond', timestamp '1970-01-01 00:00:00', d.started_at) as varchar)
    ) as visit_id,
    d.hotspot_id,
    d.started_date,
    d.started_at,
    d.ended_at,
    d.officers,
    'gps' as source
  from derived as d
  cross join params as p
  where d.started_date <= p.as_of
)

select * from final
