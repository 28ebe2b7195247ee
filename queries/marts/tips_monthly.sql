-- grain: one row per local month through the month of as_of per group (all; source_type; hotspot)
-- grain key: month, group_type, group_value
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
--   within, 48:00:00.001 does not; elapsed time between the UTC instants, so a clock change does not add or remove
--   an hour; counted in milliseconds, the one unit in which Trino (whole units elapsed) and DuckDB (unit
--   boundaries crossed) agree for timestamps with fractions of a second). A tip
--   received in the last 48 hours before the as-of date may not have been actioned yet: the latest month's share
--   is provisional. share_actioned_within_48h = actioned_within_48h / received, null without tips.
-- - interventions: outcome 'intervention'; arrests: outcome 'arrest' (the tip's current outcome).
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

tips as (
  select
    cast(date_trunc('month', t.received_date) as date) as month,
    coalesce(t.source_type, 'Not stated') as source_type,
    t.hotspot_id,
    coalesce(
      t.actioned_at is not null and date_diff('millisecond', t.received_at, t.actioned_at) <= 48 * 3600000,
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

-- the hotspots of a cell numbered (nth), so that a tip in a cell of two hotspots has a first row among its rows
cell_hotspots as (
  select
    hotspot_id,
    cell_x,
    cell_y,
    row_number() over (partition by cell_x, cell_y order by hotspot_id) as nth
  from shr_hotspot_cells
),

-- the groups that get a row in every month (zeros included): all, and every register hotspot
-- is_spine: for the equi-join that gives the spine rows their groups
spine_groups as (
  select 'all' as group_type, 'all' as group_value, true as is_spine
  union all
  select 'hotspot' as group_type, hotspot_id as group_value, true as is_spine
  from shr_hotspot_list
),

-- each tip once per hotspot whose cells hold it (once if none), with the hotspot it names if that is a register
-- hotspot (an id that is not a hotspot of the register version places it in no hotspot by name)
placed_tips as (
  select
    t.*,
    c.hotspot_id as cell_hotspot,
    coalesce(c.nth, 1) = 1 as is_first_row,
    n.hotspot_id as named_hotspot
  from tips as t
  left join cell_hotspots as c
    on t.cell_x = c.cell_x and t.cell_y = c.cell_y
  left join shr_hotspot_list as n
    on t.hotspot_id = n.hotspot_id
),

-- the tips collapsed to one row per month and combination of the groups they count in, before they are expanded per
-- group type: far fewer rows to expand four times than there are tips
combinations as (
  select
    month,
    source_type,
    cell_hotspot,
    named_hotspot,
    is_first_row,
    count(*) as received,
    count_if(is_actioned_within_48h) as actioned_within_48h,
    count_if(is_intervention) as interventions,
    count_if(is_arrest) as arrests
  from placed_tips
  group by month, source_type, cell_hotspot, named_hotspot, is_first_row
),

-- every tip once per group type, and once per hotspot it lies in or names, in a single pass over the tips: on
-- Athena each reference to tips is another scan of the feed (a union branch per group type, or a join back to the
-- tips, would read it again). All, source type and the named hotspot come from the tip's first row only; a tip that
-- lies in the hotspot it names counts there once, by its name
tip_groups as (
  select
    c.month,
    c.received,
    c.actioned_within_48h,
    c.interventions,
    c.arrests,
    g.group_type,
    case g.way
      when 'all' then 'all'
      when 'source_type' then c.source_type
      when 'cell' then c.cell_hotspot
      when 'named' then c.named_hotspot
    end as group_value
  from combinations as c
  cross join (values ('all', 'all'), ('source_type', 'source_type'), ('hotspot', 'cell'), ('hotspot', 'named'))
    as g (group_type, way)
  where
    case g.way
      when 'cell' then c.cell_hotspot is not null and c.cell_hotspot is distinct from c.named_hotspot
      when 'named' then c.named_hotspot is not null and c.is_first_row
      else c.is_first_row
    end
),

-- sum keeps bigint on Trino; DuckDB widens it to hugeint, hence the casts
counts as (
  select
    month,
    group_type,
    group_value,
    cast(sum(received) as bigint) as received,
    cast(sum(actioned_within_48h) as bigint) as actioned_within_48h,
    cast(sum(interventions) as bigint) as interventions,
    cast(sum(arrests) as bigint) as arrests
  from tip_groups
  group by month, group_type, group_value
),

-- the first month with a tip (every tip has an 'all' row) as a window over the counts, not a second pass over the
-- tips; the month spine runs from it through the month of as_of
counted as (
  select
    c.*,
    min(c.month) over () as first_month,
    cast(date_trunc('month', p.as_of) as date) as last_month
  from counts as c
  cross join params as p
),

-- each counted row once (i = -1), and the spine from the first month's 'all' row alone: every spine group in every
-- month (i = 0, 1, ..), without counts. Generated from the one pass over counts (a union or a left join of the
-- spine to counts would read the feed again on Athena)
expanded as (
  select
    case when t.i < 0 then c.month else date_add('month', t.i, c.first_month) end as month,
    case when t.i < 0 then c.group_type else g.group_type end as group_type,
    case when t.i < 0 then c.group_value else g.group_value end as group_value,
    case when t.i < 0 then c.received end as received,
    case when t.i < 0 then c.actioned_within_48h end as actioned_within_48h,
    case when t.i < 0 then c.interventions end as interventions,
    case when t.i < 0 then c.arrests end as arrests
  from counted as c
  cross join
    unnest(
      sequence(
        -1,
        case
          when c.group_type = 'all' and c.month = c.first_month then date_diff('month', c.first_month, c.last_month)
          else -1
        end,
        1
      )
    ) as t (i)
  -- equi-join on a boolean: spine groups only for the spine rows (i >= 0)
  left join spine_groups as g
    on g.is_spine = (t.i >= 0)
),

-- one row per month and group: a counted row and its spine row (if any) merged. At most one of them has counts, so
-- max picks it (and keeps bigint, as count does); spine groups without a tip in the month get zeros
group_rows as (
  select
    month,
    group_type,
    group_value,
    coalesce(max(received), 0) as received,
    coalesce(max(actioned_within_48h), 0) as actioned_within_48h,
    coalesce(max(interventions), 0) as interventions,
    coalesce(max(arrests), 0) as arrests
  from expanded
  group by month, group_type, group_value
),

final as (
  select
    month,
    group_type,
    group_value,
    received,
    actioned_within_48h,
    round(cast(actioned_within_48h as double) / nullif(received, 0), 6) as share_actioned_within_48h,
    interventions,
    arrests
  from group_rows
)

select * from final order by month, group_type, group_value
