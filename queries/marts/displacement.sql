-- grain: one row per hotspot with a clear phase starting at least 12 weeks before as_of, plus one row for all of them (hotspot_id all)
-- parameters: as_of (date), weights_version (varchar), register_version (varchar)
-- columns:
--   hotspot_id                           varchar  the hotspot, or all
--   clear_from                           date     first day of its clear phase
--   before_from                          date     first day of the 12 weeks before clear_from
--   after_to                             date     last day of the after window (12 weeks from clear_from, or as_of when sooner)
--   rb                                   bigint   crime in the hotspot, before
--   ra                                   bigint   crime in the hotspot, after
--   db                                   bigint   crime in its buffer ring (cells of no hotspot), before
--   da                                   bigint   crime in its buffer ring, after
--   cb                                   bigint   crime in the control areas, before
--   ca                                   bigint   crime in the control areas, after
--   wdq                                  double   weighted displacement quotient (Da/Ca - Db/Cb) / (Ra/Ca - Rb/Cb); null when not applicable
--   tne                                  double   total net effect [Rb(Ca/Cb) - Ra] + [Db(Ca/Cb) - Da]
--   wdd                                  double   weighted displacement difference (Ra - Rb) - (Ca - Cb)
--   wdd_se                               double   sqrt(Ra + Rb + Ca + Cb)
with params as (
  select cast(? as date) as as_of, cast(? as varchar) as weights_version, cast(? as varchar) as register_version
),

final as (
  select
    cast(null as varchar) as hotspot_id,
    cast(null as date) as clear_from,
    cast(null as date) as before_from,
    cast(null as date) as after_to,
    cast(null as bigint) as rb,
    cast(null as bigint) as ra,
    cast(null as bigint) as db,
    cast(null as bigint) as da,
    cast(null as bigint) as cb,
    cast(null as bigint) as ca,
    cast(null as double) as wdq,
    cast(null as double) as tne,
    cast(null as double) as wdd,
    cast(null as double) as wdd_se
  from params
  where false
)

select * from final
