import { describe, expect, it } from 'vitest'
import {
  type CellSet,
  cellsInside,
  cellsNearEdges,
  type GridPolygon,
} from '../../functions/core/reference/grid.ts'

const box = (west: number, south: number, east: number, north: number): GridPolygon => [
  [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ],
]
const list = (cells: CellSet) => [...cells].map(({ x, y }) => `${x},${y}`)

describe('cells inside polygons', () => {
  it('are those whose centre is inside, listed row by row', () => {
    // 60 m x 40 m from the origin: centres at 12.5, 37.5 (< 60) and 12.5, 37.5 (< 40); 62.5 is outside
    expect(list(cellsInside([box(0, 0, 60, 40)]))).toEqual(['0,0', '1,0', '0,1', '1,1'])
  })

  it('leave out the centres in a hole', () => {
    const withHole: GridPolygon = [...box(0, 0, 100, 100), ...box(25, 25, 75, 75)]
    const cells = cellsInside([withHole])
    expect(cells.size).toBe(16 - 4)
    expect(cells.has(1, 1)).toBe(false)
    expect(cells.has(0, 0)).toBe(true)
  })

  it('go to exactly one of two polygons whose shared edge runs through cell centres', () => {
    // the edge x = 37.5 passes through the centres of column 1: the eastern polygon takes them
    const west = cellsInside([box(0, 0, 37.5, 50)])
    const east = cellsInside([box(37.5, 0, 100, 50)])
    expect(list(west)).toEqual(['0,0', '0,1'])
    expect(list(east)).toEqual(['1,0', '2,0', '3,0', '1,1', '2,1', '3,1'])
    // the edge y = 37.5 passes through the centres of row 1: the northern polygon takes them
    const south = cellsInside([box(0, 12.5, 50, 37.5)])
    const north = cellsInside([box(0, 37.5, 50, 62.5)])
    expect(list(south)).toEqual(['0,0', '1,0'])
    expect(list(north)).toEqual(['0,1', '1,1'])
  })

  it('of a multipolygon are the union of its parts, each cell once', () => {
    const cells = cellsInside([box(0, 0, 50, 50), box(25, 0, 75, 50)])
    expect(list(cells)).toEqual(['0,0', '1,0', '2,0', '0,1', '1,1', '2,1'])
  })
})

describe('cells near edges', () => {
  it('are those whose centre is within the distance of an edge, on either side', () => {
    // a 25 m square on cell (0,0): at 12.5 m the 4 edge-adjacent cells and the cell itself (centres 12.5 m from
    // an edge); the diagonal cells are 17.7 m from the corner
    expect(list(cellsNearEdges([box(0, 0, 25, 25)], 12.5))).toEqual(['0,-1', '-1,0', '0,0', '1,0', '0,1'])
    expect(cellsNearEdges([box(0, 0, 25, 25)], 17.6).size).toBe(5)
    expect(cellsNearEdges([box(0, 0, 25, 25)], 17.7).size).toBe(9)
  })
})
