-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a tip (key: tip_id)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of tips_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; every row has a natural key
--   received_date, received_hour: the London calendar day and hour of received_at
--   actioned_date, actioned_hour: the London calendar day and hour of actioned_at
--   cell_x, cell_y: the 25 m British National Grid cell (as area_cells)
with final as (
  select
    tip_id,
    received_at,
    source_type,
    hotspot_id,
    category,
    actioned_at,
    outcome,
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
    lead(drop_date) over (partition by tip_id order by drop_date, ingested_at, drop_id, source_line) as valid_to,
    cast(with_timezone(received_at, 'UTC') at time zone 'Europe/London' as date) as received_date,
    hour(with_timezone(received_at, 'UTC') at time zone 'Europe/London') as received_hour,
    cast(with_timezone(actioned_at, 'UTC') at time zone 'Europe/London' as date) as actioned_date,
    hour(with_timezone(actioned_at, 'UTC') at time zone 'Europe/London') as actioned_hour,
    cast(floor(easting / 25e0) as integer) as cell_x,
    cast(floor(northing / 25e0) as integer) as cell_y
  from tips_versions
)

select * from final
