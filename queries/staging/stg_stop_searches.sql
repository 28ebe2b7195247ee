-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a stop and search (key: search_id)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of stop_searches_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; a row without a natural key
--     (key_derived) is current only while its drop is the latest of its drop date (by ingested_at, then drop_id),
--     and else ends the day it began
--   searched_date, searched_hour: the London calendar day and hour of searched_at
--   cell_x, cell_y: the 25 m British National Grid cell (as area_cells)
with final as (
  select
    search_id,
    searched_at,
    type,
    gender,
    age_range,
    self_defined_ethnicity,
    officer_defined_ethnicity,
    legislation,
    object_of_search,
    outcome,
    outcome_linked,
    part_of_operation,
    operation,
    removal_of_more_than_outer_clothing,
    lat,
    lon,
    easting,
    northing,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    case
      when
        key_derived
        and drop_id <> first_value(drop_id) over (partition by drop_date order by ingested_at desc, drop_id desc)
        then drop_date
      else lead(drop_date) over (partition by search_id order by drop_date, ingested_at, drop_id, source_line)
    end as valid_to,
    cast(with_timezone(searched_at, 'UTC') at time zone 'Europe/London' as date) as searched_date,
    hour(with_timezone(searched_at, 'UTC') at time zone 'Europe/London') as searched_hour,
    cast(floor(easting / 25e0) as integer) as cell_x,
    cast(floor(northing / 25e0) as integer) as cell_y
  from stop_searches_versions
)

select * from final
