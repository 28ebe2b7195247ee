-- grain: one row per local month through the month of as_of per group (all; officer_defined_ethnicity; hotspot; object_of_search)
-- grain key: month, group_type, group_value
-- parameters: as_of (date), weights_version (varchar), register_version (varchar), population_version (varchar, null when none is loaded)
-- columns:
--   month                                date     first day of the month (Europe/London)
--   group_type                           varchar  all, ethnicity, hotspot or object_of_search
--   group_value                          varchar  the group (all for group_type all)
--   searches                             bigint   stop and searches
--   finds                                bigint   searches whose outcome was linked to the object of search
--   find_rate                            double   finds / searches
--   arrests                              bigint   searches ending in arrest
--   arrest_rate                          double   arrests / searches
--   residents                            bigint   the ethnicity group's residents in the population used (ethnicity rows; null otherwise or without one)
--   searches_per_1000                    double   searches per 1,000 residents of the group
--   disproportionality                   double   rate ratio against White: searches_per_1000 of the group / that of White people
--   disproportionality_ci_low            double   lower end of its 95% confidence interval
--   disproportionality_ci_high           double   upper end of its 95% confidence interval
--   population_version                   varchar  the population used (the run's population_version), null when none is loaded
--
-- Definitions (DESIGN section 7, stop and search):
-- - Searches: each search's version current as of as_of (valid_from <= as_of < valid_to), searched on or before
--   as_of, in the London calendar month of searched_at (data.police.uk dates are UTC: a search at 23:30 UTC on the
--   last day of a BST month belongs to the next month, as police.uk's own monthly files have it). Months run
--   from the first month with a search through the month containing as_of (the latest month is partial).
-- - Groups: all; ethnicity = officer_defined_ethnicity (null as 'Not stated'); hotspot = the search's
--   25 m cell is a cell of the hotspot in the register version (geography only, whatever the phase dates; a
--   search without a location is in no hotspot; a cell shared by two hotspots counts in both); object_of_search
--   (null as 'Not stated'). 'all' and every register hotspot get every month (zeros included); the other
--   groups appear in the months they have searches. The ingest stores text without leading or trailing
--   whitespace and blank text as null, so the SQL does not trim (trim removes every kind of whitespace on Trino
--   and only spaces on DuckDB).
-- - finds = searches with outcome_linked true (unknown counts as not linked, but stays in the denominator);
--   find_rate = finds / searches, a fraction, null when there is no search.
-- - arrests = searches whose outcome starts with 'Arrest' (police.uk wording since 2019), or is 'Suspect
--   arrested' (the older police.uk wording), case ignored (surrounding blanks are gone at ingest); arrest_rate =
--   arrests / searches, a fraction. Every double column is rounded to 6 decimals.
-- - Disproportionality (DESIGN section 7): residents come from the run's population_version (`hotspot load
--   population`; a run takes the latest loaded unless given one, and its manifest records it), summed over all
--   its areas: the ratio is for the force area the file covers, by
--   month (searches carry no area code to split it by borough). For an ethnicity row of group g with a searches,
--   and White with b searches in the same month, residents P_g and P_White:
--     searches_per_1000 = 1000 a / P_g;  disproportionality RR = (a / P_g) / (b / P_White);
--     95% CI = exp(ln RR -/+ 1.96 SE), SE = sqrt(1/a + 1/b): the standard error of the log of a ratio of two
--     Poisson rates with known denominators (Kirkwood & Sterne, Essential Medical Statistics, 2nd ed., 2003,
--     section 23.2, "Comparing two rates"; Rothman, Greenland & Lash, Modern Epidemiology, 3rd ed., ch. 14).
--   Null when a count or a population in it is 0 (the log is undefined), for White itself (the reference),
--   for 'Not stated' and for groups without residents in the population, and for every row without one.
--   The denominator is residents, not the people present: see the README on town-centre hotspots.
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version, cast(? as varchar) as population_version  -- noqa: LT05 (the composer finds the params line whole)
),

searches as (
  select
    cast(date_trunc('month', s.searched_date) as date) as month,
    coalesce(s.officer_defined_ethnicity, 'Not stated') as ethnicity,
    coalesce(s.object_of_search, 'Not stated') as object_of_search,
    coalesce(s.outcome_linked, false) as is_find,
    (
      lower(coalesce(s.outcome, '')) like 'arrest%'
      or lower(coalesce(s.outcome, '')) = 'suspect arrested'
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

-- the hotspots of a cell numbered (nth), so that a search in a cell of two hotspots has one first row among its rows
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

-- each search once per hotspot its cell is in (once if none: a search without a location is in none)
placed_searches as (
  select
    s.*,
    h.hotspot_id as hotspot,
    coalesce(h.nth, 1) = 1 as is_first_row
  from searches as s
  left join cell_hotspots as h
    on s.cell_x = h.cell_x and s.cell_y = h.cell_y
),

-- the searches collapsed to one row per month and combination of the groups they count in, before they are expanded
-- per group type: far fewer rows to expand four times than there are searches
combinations as (
  select
    month,
    ethnicity,
    object_of_search,
    hotspot,
    is_first_row,
    count(*) as searches,
    count_if(is_find) as finds,
    count_if(is_arrest) as arrests
  from placed_searches
  group by month, ethnicity, object_of_search, hotspot, is_first_row
),

-- every search once per group type (from its first row), and once per hotspot its cell is in, in a single pass over
-- the searches: on Athena each reference to searches is another scan of the feed (a union branch per group type, or
-- a second reference for the hotspots, would read it again)
search_groups as (
  select
    c.month,
    c.searches,
    c.finds,
    c.arrests,
    g.group_type,
    case g.group_type
      when 'all' then 'all'
      when 'ethnicity' then c.ethnicity
      when 'object_of_search' then c.object_of_search
      when 'hotspot' then c.hotspot
    end as group_value
  from combinations as c
  cross join (values ('all'), ('ethnicity'), ('object_of_search'), ('hotspot')) as g (group_type)
  where case when g.group_type = 'hotspot' then c.hotspot is not null else c.is_first_row end
),

-- sum keeps bigint on Trino; DuckDB widens it to hugeint, hence the casts
counts as (
  select
    month,
    group_type,
    group_value,
    cast(sum(searches) as bigint) as searches,
    cast(sum(finds) as bigint) as finds,
    cast(sum(arrests) as bigint) as arrests
  from search_groups
  group by month, group_type, group_value
),

-- the first month with a search (every search has an 'all' row) as a window over the counts, not a second pass
-- over the searches; the month spine runs from it through the month of as_of
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
    case when t.i < 0 then c.searches end as searches,
    case when t.i < 0 then c.finds end as finds,
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
-- max picks it (and keeps bigint, as count does); spine groups without a search in the month get zeros
group_rows as (
  select
    month,
    group_type,
    group_value,
    coalesce(max(searches), 0) as searches,
    coalesce(max(finds), 0) as finds,
    coalesce(max(arrests), 0) as arrests
  from expanded
  group by month, group_type, group_value
),

-- no row when the run has no population (population_version null: equality is never true)
population_used as (
  select
    pop.ethnicity_group,
    pop.population_version,
    pop.residents
  from population as pop
  cross join params as p
  where pop.population_version = p.population_version
),

group_residents as (
  select
    ethnicity_group,
    population_version,
    cast(sum(residents) as bigint) as residents
  from population_used
  group by ethnicity_group, population_version
),

-- one row (an aggregate without group by), so the cross join keeps every group row when no population is loaded
white_residents as (
  select
    max(population_version) as population_version,
    max(case when ethnicity_group = 'White' then residents end) as residents
  from group_residents
),

-- White's searches in the month as a window over the group rows (no second pass over the searches)
compared as (
  select
    g.*,
    r.residents,
    w.population_version,
    w.residents as white_residents,
    max(case when g.group_type = 'ethnicity' and g.group_value = 'White' then g.searches end)
      over (partition by g.month) as white_searches
  from group_rows as g
  cross join white_residents as w
  left join group_residents as r
    on g.group_type = 'ethnicity' and g.group_value = r.ethnicity_group
),

ratios as (
  select
    *,
    case
      when group_value <> 'White' and searches > 0 and white_searches > 0 and residents > 0 and white_residents > 0
        then (cast(searches as double) * white_residents) / (cast(white_searches as double) * residents)
    end as rate_ratio,
    sqrt(1e0 / nullif(searches, 0) + 1e0 / nullif(white_searches, 0)) as log_ratio_se
  from compared
),

final as (
  select
    month,
    group_type,
    group_value,
    searches,
    finds,
    round(cast(finds as double) / nullif(searches, 0), 6) as find_rate,
    arrests,
    round(cast(arrests as double) / nullif(searches, 0), 6) as arrest_rate,
    residents,
    round(1000e0 * searches / nullif(residents, 0), 6) as searches_per_1000,
    round(rate_ratio, 6) as disproportionality,
    round(exp(ln(rate_ratio) - 1.96e0 * log_ratio_se), 6) as disproportionality_ci_low,
    round(exp(ln(rate_ratio) + 1.96e0 * log_ratio_se), 6) as disproportionality_ci_high,
    population_version
  from ratios
)

select * from final order by month, group_type, group_value
