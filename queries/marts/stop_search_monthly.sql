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
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as date) as month,
    cast(null as varchar) as group_type,
    cast(null as varchar) as group_value,
    cast(null as bigint) as searches,
    cast(null as bigint) as finds,
    cast(null as double) as find_rate,
    cast(null as bigint) as arrests,
    cast(null as double) as arrest_rate,
    cast(null as double) as disproportionality
  from params
  where false
)

select * from final
