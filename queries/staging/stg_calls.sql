-- generated from functions/core/contracts (feeds.ts, staging-columns.ts) by npm run generate:sql; do not edit
-- grain: one row per stored version of a call (key: call_id)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of calls_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). A record (rows sharing its key)
--     has its versions ordered by drop_date, ingested_at, drop_id, source_line; every row has a natural key
--   received_date, received_hour: the London calendar day and hour of received_at
--   cell_x, cell_y: the 25 m British National Grid cell (as area_cells)
with final as (
  select
    call_id,
    received_at,
    category,
    grade,
    linked_incident_id,
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
    lead(drop_date) over (partition by call_id order by drop_date, ingested_at, drop_id, source_line) as valid_to,
    cast(with_timezone(received_at, 'UTC') at time zone 'Europe/London' as date) as received_date,
    hour(with_timezone(received_at, 'UTC') at time zone 'Europe/London') as received_hour,
    cast(floor(easting / 25e0) as integer) as cell_x,
    cast(floor(northing / 25e0) as integer) as cell_y
  from calls_versions
)

select * from final
