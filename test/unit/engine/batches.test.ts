import { describe, expect, it } from 'vitest'
import { maxFailExceeded, parseSerial, planBatches } from '../../../src/engine/batches.js'
import { InputError } from '../../../src/core/errors.js'

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `hv${String(i + 1).padStart(2, '0')}`)
const sizes = (batches: string[][]) => batches.map((b) => b.length)

describe('parseSerial', () => {
  it('reads a number, a numeric string and a percentage', () => {
    expect(parseSerial(1)).toEqual([{ kind: 'count', count: 1 }])
    expect(parseSerial('3')).toEqual([{ kind: 'count', count: 3 }])
    expect(parseSerial('25%')).toEqual([{ kind: 'percent', percent: 25 }])
  })
  it('reads a comma list as given on the command line', () => {
    expect(parseSerial('1, 5,20%')).toEqual([
      { kind: 'count', count: 1 },
      { kind: 'count', count: 5 },
      { kind: 'percent', percent: 20 },
    ])
  })
  it('reads a YAML list of numbers and percentages', () => {
    expect(parseSerial([1, '25%'])).toEqual([
      { kind: 'count', count: 1 },
      { kind: 'percent', percent: 25 },
    ])
  })
  it.each([['0'], [0], [-1], [1.5], ['yes'], [''], ['1,,2'], ['0%'], ['120%'], ['12.5%'], [[]]])('rejects %j with an InputError', (spec) => {
    expect(() => parseSerial(spec as string)).toThrow(InputError)
  })
})

describe('planBatches (Ansible semantics)', () => {
  it('10 hosts, serial [1, 5, 20%]: 1, 5, then 2 (20% of 10) repeating', () => {
    expect(sizes(planBatches(hosts(10), parseSerial([1, 5, '20%'])))).toEqual([1, 5, 2, 2])
  })
  it('percentages are of the total host count, rounded down: 10 hosts at 30% → 3,3,3,1', () => {
    expect(sizes(planBatches(hosts(10), parseSerial('30%')))).toEqual([3, 3, 3, 1])
  })
  it('a percentage below one host still makes batches of one: 3 hosts at 20%', () => {
    expect(sizes(planBatches(hosts(3), parseSerial('20%')))).toEqual([1, 1, 1])
  })
  it('the last value repeats: 7 hosts, serial [1, 2]', () => {
    expect(sizes(planBatches(hosts(7), parseSerial([1, 2])))).toEqual([1, 2, 2, 2])
  })
  it('a batch larger than the remaining hosts takes what is left', () => {
    expect(sizes(planBatches(hosts(4), parseSerial([3, 10])))).toEqual([3, 1])
  })
  it('keeps host order and covers every host exactly once', () => {
    const all = hosts(10)
    const batches = planBatches(all, parseSerial([1, 5, '20%']))
    expect(batches.flat()).toEqual(all)
    expect(batches[0]).toEqual(['hv01'])
  })
  it('no serial means one batch with every host', () => {
    expect(planBatches(hosts(5))).toEqual([hosts(5)])
  })
  it('no hosts means no batches', () => {
    expect(planBatches([], parseSerial(2))).toEqual([])
  })
})

describe('maxFailExceeded', () => {
  it('0% aborts on any failure', () => {
    expect(maxFailExceeded(5, 0, 0)).toBe(false)
    expect(maxFailExceeded(5, 1, 0)).toBe(true)
  })
  it('must be exceeded, not reached: 20% of a batch of 5 allows exactly 1 failure', () => {
    expect(maxFailExceeded(5, 1, 20)).toBe(false)
    expect(maxFailExceeded(5, 2, 20)).toBe(true)
  })
  it('counts per batch: 30% of a batch of 10 tolerates 3, not 4', () => {
    expect(maxFailExceeded(10, 3, 30)).toBe(false)
    expect(maxFailExceeded(10, 4, 30)).toBe(true)
  })
  it('100% never aborts', () => {
    expect(maxFailExceeded(4, 4, 100)).toBe(false)
  })
  it('without a percentage, only a fully failed batch aborts', () => {
    expect(maxFailExceeded(4, 3)).toBe(false)
    expect(maxFailExceeded(4, 4)).toBe(true)
  })
})
