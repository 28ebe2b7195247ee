-- grain: one row per 25 m cell of each hotspot (role hotspot) in the register version the mart runs on
-- parameters: reads params.register_version
select distinct
  c.area_id as hotspot_id,
  c.cell_x,
  c.cell_y
from area_cells as c
cross join params as p
where c.register_version = p.register_version and c.role = 'hotspot'
