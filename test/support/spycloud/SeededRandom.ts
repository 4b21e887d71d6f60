/**
 * Deterministic randomness for the stand-in. `unitAt` is a pure function of (seed, index, salt), so that
 * any record can be generated on its own, in any order, without generating the ones before it.
 */

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the output. */
const mix = (value: number): number => {
  let h = value | 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A number in [0, 1) determined by the three inputs. */
export const unitAt = (seed: number, index: number, salt: number): number =>
  mix(mix(mix(seed ^ 0x9e3779b9) + index) ^ Math.imul(salt + 1, 0x27d4eb2f)) / 4_294_967_296

/** An integer in [0, bound) determined by the inputs. */
export const intAt = (seed: number, index: number, salt: number, bound: number): number =>
  Math.floor(unitAt(seed, index, salt) * bound)

/** A sequential generator (mulberry32) for things that happen in order, such as injected faults. */
export const sequence = (seed: number): () => number => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Picks keys in proportion to their weights, from a number in [0, 1). */
export const weightedPicker = <K extends string | number>(
  entries: ReadonlyArray<readonly [K, number]>
): (unit: number) => K => {
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
  if (entries.length === 0 || !(total > 0)) throw new RangeError("weights must include a positive one")
  let running = 0
  const bounds = entries.map(([key, weight]) => [key, (running += weight) / total] as const)
  return (unit) => {
    for (const [key, bound] of bounds) if (unit < bound) return key
    return bounds[bounds.length - 1]![0]
  }
}
