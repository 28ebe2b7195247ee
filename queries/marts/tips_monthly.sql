-- grain: one row per local month through the month of as_of per group (all; source_type; hotspot)
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, source_type or hotspot
--   group_value                          varchar  the group (all for group_type all)
--   received                             bigint   tips received
--   actioned_within_48h                  bigint   actioned within 48 hours of receipt
--   share_actioned_within_48h            double   actioned_within_48h / received
--   interventions                        bigint   tips leading to an intervention
--   arrests                              bigint   tips leading to an arrest
--
-- Definitions (DESIGN section 7, tips):
-- - Tips: each tip's version current as of as_of (valid_from <= as_of < valid_to), received on or before as_of,
--   in the London calendar month of received_at. Months run from the first month with a tip through the month
--   containing as_of (the latest month is partial).
-- - Groups: all; source_type (as given: resident, shopkeeper, youth_worker, school, other); hotspot = a register
--   hotspot the tip names (hotspot_id) or whose 25 m cells hold the tip's location, counted once per tip and
--   hotspot when both apply (the same rule as the weekly scorecard; geography only, whatever the phase dates; a
--   hotspot_id that is not a hotspot of the register version places the tip in no hotspot by name). 'all' and
--   every register hotspot get every month (zeros included); source types appear in the months they have tips.
-- - actioned_within_48h: actioned_at is set and at most 48 hours after received_at (48:00:00 exactly counts as
--   within; elapsed time between the UTC instants, so a clock change does not add or remove an hour). A tip
--   received in the last 48 hours before the as-of date may not have been actioned yet: the latest month's share
--   is provisional. share_actioned_within_48h = actioned_within_48h / received, null without tips.
-- - interventions: outcome 'intervention'; arrests: outcome 'arrest' (the tip's current outcome).
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

tips as (
  select
    t.tip_id,
    cast(date_trunc('month', t.received_date) as date) as month,
    t.source_type,
    t.hotspot_id,
    coalesce(
      t.actioned_at is not null and date_diff('second', t.received_at, t.actioned_at) <= 48 * 3600,
      false
    ) as is_actioned_within_48h,
    coalesce(t.outcome = 'intervention', false) as is_intervention,
    coalesce(t.outcome = 'arrest', false) as is_arrest,
    t.cell_x,
    t.cell_y
  from stg_tips as t
  cross join params as p
  where
    t.valid_from <= p.as_of
    and (t.valid_to is null or t.valid_to > p.as_of)
    and t.received_date <= p.as_of
),

hotspot_cells as (
  select distinct
    c.area_id,
    c.cell_x,
    c.cell_y
  from area_cells as c
  cross join params as p
  where c.register_version = p.register_version and c.role = 'hotspot'
),

hotspot_list as (
  select distinct area_id
  from hotspot_cells
),

tip_hotspots as (
  select distinct
    t.tip_id,
    h.area_id
  from tips as t
  inner join hotspot_list as h
    on h.area_id = t.hotspot_id
  union
  select distinct
    t.tip_id,
    h.area_id
  from tips as t
  inner join hotspot_cells as h
    on h.cell_x = t.cell_x and h.cell_y = t.cell_y
),

tip_groups as (
  select
    t.month,
    t.is_actioned_within_48h,
    t.is_intervention,
    t.is_arrest,
    g.group_type,
    case g.group_type
      when 'all' then 'all'
      when 'source_type' then coalesce(t.source_type, 'Not stated')
    end as group_value
  from tips as t
  cross join (values ('all'), ('source_type')) as g (group_type)
  union all
  select
    t.month,
    t.is_actioned_within_48h,
    t.is_intervention,
    t.is_arrest,
    'hotspot' as group_type,
    th.area_id as group_value
  from tips as t
  inner join tip_hotspots as th
    on th.tip_id = t.tip_id
),

counts as (
  select
    month,
    group_type,
    group_value,
    count(*) as received,
    count_if(is_actioned_within_48h) as actioned_within_48h,
    count_if(is_intervention) as interventions,
    count_if(is_arrest) as arrests
  from tip_groups
  group by month, group_type, group_value
),

bounds as (
  select
    min(t.month) as first_month,
    cast(date_trunc('month', p.as_of) as date) as last_month
  from tips as t
  cross join params as p
  group by p.as_of
),

months as (
  select date_add('month', s.i, b.first_month) as month
  from bounds as b
  cross join unnest(sequence(0, date_diff('month', b.first_month, b.last_month), 1)) as s (i)
),

group_rows as (
  select m.month, 'all' as group_type, 'all' as group_value
  from months as m
  union all
  select m.month, 'hotspot' as group_type, h.area_id as group_value
  from months as m
  cross join hotspot_list as h
  union all
  select distinct month, group_type, group_value
  from tip_groups
  where group_type = 'source_type'
),

final as (
  select
    g.month,
    g.group_type,
    g.group_value,
    coalesce(c.received, 0) as received,
    coalesce(c.actioned_within_48h, 0) as actioned_within_48h,
    cast(c.actioned_within_48h as double) / nullif(c.received, 0) as share_actioned_within_48h,
    coalesce(c.interventions, 0) as interventions,
    coalesce(c.arrests, 0) as arrests
  from group_rows as g
  left join counts as c
    on c.month = g.month and c.group_type = g.group_type and c.group_value = g.group_value
)

select * from final order by month, group_type, group_value
