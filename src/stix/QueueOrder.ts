/**
 * pycti's dependency order for the queue (opencti-protocol.md §7.4, §12): every object is published as
 * its own message, and an object must come after everything it references, so that OpenCTI's worker never
 * meets a reference it cannot resolve. Like pycti's splitter, each object gets a dependency count
 * (1 + the counts of the objects it references inside the bundle) and the objects are stably sorted by it:
 * markings and the author first, then observables, incidents and relationships.
 */
import type { StixBundle, StixObject } from "./StixObject.js"

const referencesOf = (object: StixObject): Array<string> => {
  const refs: Array<string> = []
  for (const [key, value] of Object.entries(object)) {
    if (key.endsWith("_ref") && typeof value === "string") refs.push(value)
    else if (key.endsWith("_refs") && Array.isArray(value)) {
      for (const ref of value) if (typeof ref === "string") refs.push(ref)
    }
  }
  return refs
}

/** The dependency count of every object of the bundle, keyed by id. References outside the bundle count 0. */
export const dependencyCounts = (objects: ReadonlyArray<StixObject>): Map<string, number> => {
  const byId = new Map(objects.map((object) => [object.id, object]))
  const counts = new Map<string, number>()
  const visiting = new Set<string>()
  const count = (id: string): number => {
    const known = counts.get(id)
    if (known !== undefined) return known
    const object = byId.get(id)
    if (object === undefined || visiting.has(id)) return 0 // absent, or a cycle: pycti breaks cycles the same way
    visiting.add(id)
    let total = 1
    for (const ref of new Set(referencesOf(object))) if (ref !== id) total += count(ref)
    visiting.delete(id)
    counts.set(id, total)
    return total
  }
  for (const object of objects) count(object.id)
  return counts
}

/** The bundle's objects in publishing order (a stable sort by dependency count). */
export const orderForQueue = (bundle: StixBundle): ReadonlyArray<StixObject> => {
  const counts = dependencyCounts(bundle.objects)
  return bundle.objects
    .map((object, index) => ({ object, index, depth: counts.get(object.id) ?? 1 }))
    .sort((a, b) => a.depth - b.depth || a.index - b.index)
    .map(({ object }) => object)
}
