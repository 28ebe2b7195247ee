-- grain: one row per stored version of a patrol allocation (hotspot and day) (key: hotspot_id, date)
-- parameters: none. The version current as of day D has valid_from <= D and (valid_to is null or valid_to > D).
-- columns: every column of patrol_allocations_versions except the dt partition, and
--   valid_from: the drop date of this version
--   valid_to: the drop date of the version that replaced it (null while current). Versions are ordered by drop
--     date, then ingestion time; rows without a natural key (key_derived) are replaced wholesale by a later drop
--     of the same drop date
with final as (
  select
    hotspot_id,
    date,
    assigned,
    trial_id,
    drop_id,
    drop_date,
    source_line,
    ingested_at,
    key_derived,
    drop_date as valid_from,
    case
      when key_derived and drop_id <> max_by(drop_id, ingested_at) over (partition by drop_date) then drop_date
      else lead(drop_date) over (partition by hotspot_id, date order by drop_date, ingested_at, drop_id)
    end as valid_to
  from patrol_allocations_versions
)

select * from final
