-- grain: one row per local month through the month of as_of per group (all; officer_defined_ethnicity; hotspot; object_of_search)
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, ethnicity, hotspot or object_of_search
--   group_value                          varchar  the group (all for group_type all)
--   searches                             bigint   stop and searches
--   finds                                bigint   searches whose outcome was linked to the object of search
--   find_rate                            double   finds / searches
--   arrests                              bigint   searches ending in arrest
--   arrest_rate                          double   arrests / searches
--   disproportionality                   double   (searches per head of the group) / (searches per head of White people); null without population data
--
-- Definitions (DESIGN section 7, stop and search):
-- - Searches: each search's version current as of as_of (valid_from <= as_of < valid_to), searched on or before
--   as_of, in the London calendar month of searched_at (data.police.uk dates are UTC: a search at 23:30 UTC on the
--   last day of a BST month belongs to the next month, as police.uk's own monthly files have it). Months run
--   from the first month with a search through the month containing as_of (the latest month is partial).
-- - Groups: all; ethnicity = officer_defined_ethnicity (null or blank as 'Not stated'); hotspot = the search's
--   25 m cell is a cell of the hotspot in the register version (geography only, whatever the phase dates; a
--   search without a location is in no hotspot; a cell shared by two hotspots counts in both); object_of_search
--   (null or blank as 'Not stated'). 'all' and every register hotspot get every month (zeros included); the other
--   groups appear in the months they have searches.
-- - finds = searches with outcome_linked true (unknown counts as not linked, but stays in the denominator);
--   find_rate = finds / searches, a fraction, null when there is no search.
-- - arrests = searches whose outcome starts with 'Arrest' (police.uk wording since 2019), or is 'Suspect
--   arrested' (the older police.uk wording), case and surrounding blanks ignored; arrest_rate = arrests / searches.
-- - disproportionality is always null: no population-by-ethnicity table is loaded yet (DESIGN section 3,
--   optional reference data); with it this becomes (searches_g / pop_g) / (searches_White / pop_White).
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

searches as (
  select
    s.search_id,
    cast(date_trunc('month', s.searched_date) as date) as month,
    coalesce(nullif(trim(s.officer_defined_ethnicity), ''), 'Not stated') as ethnicity,
    coalesce(nullif(trim(s.object_of_search), ''), 'Not stated') as object_of_search,
    coalesce(s.outcome_linked, false) as is_find,
    (
      lower(trim(coalesce(s.outcome, ''))) like 'arrest%'
      or lower(trim(coalesce(s.outcome, ''))) = 'suspect arrested'
    ) as is_arrest,
    s.cell_x,
    s.cell_y
  from stg_stop_searches as s
  cross join params as p
  where
    s.valid_from <= p.as_of
    and (s.valid_to is null or s.valid_to > p.as_of)
    and s.searched_date <= p.as_of
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

search_groups as (
  select
    s.month,
    s.is_find,
    s.is_arrest,
    g.group_type,
    case g.group_type
      when 'all' then 'all'
      when 'ethnicity' then s.ethnicity
      when 'object_of_search' then s.object_of_search
    end as group_value
  from searches as s
  cross join (values ('all'), ('ethnicity'), ('object_of_search')) as g (group_type)
  union all
  select
    s.month,
    s.is_find,
    s.is_arrest,
    'hotspot' as group_type,
    h.area_id as group_value
  from searches as s
  inner join hotspot_cells as h
    on h.cell_x = s.cell_x and h.cell_y = s.cell_y
),

counts as (
  select
    month,
    group_type,
    group_value,
    count(*) as searches,
    count_if(is_find) as finds,
    count_if(is_arrest) as arrests
  from search_groups
  group by month, group_type, group_value
),

bounds as (
  select
    min(s.month) as first_month,
    cast(date_trunc('month', p.as_of) as date) as last_month
  from searches as s
  cross join params as p
  group by p.as_of
),

months as (
  select date_add('month', t.i, b.first_month) as month
  from bounds as b
  cross join unnest(sequence(0, date_diff('month', b.first_month, b.last_month), 1)) as t (i)
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
  from search_groups
  where group_type not in ('all', 'hotspot')
),

final as (
  select
    g.month,
    g.group_type,
    g.group_value,
    coalesce(c.searches, 0) as searches,
    coalesce(c.finds, 0) as finds,
    cast(c.finds as double) / nullif(c.searches, 0) as find_rate,
    coalesce(c.arrests, 0) as arrests,
    cast(c.arrests as double) / nullif(c.searches, 0) as arrest_rate,
    cast(null as double) as disproportionality
  from group_rows as g
  left join counts as c
    on c.month = g.month and c.group_type = g.group_type and c.group_value = g.group_value
)

select * from final order by month, group_type, group_value
