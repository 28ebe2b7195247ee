-- grain: one row per hotspot (role hotspot) in the register version the mart runs on
-- parameters: through shr_hotspot_cells
-- The register loader refuses an area without a cell, so every hotspot of the register has cells: the list
-- comes from them, and a mart naming both reads one table of the register, not two.
select distinct hotspot_id
from shr_hotspot_cells
