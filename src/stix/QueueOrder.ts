/**
 * pycti's dependency order for the queue (docs/opencti-protocol.md, "Message order and splitting"): every object
 * is published as its own message, and an object must come after everything it references, so that OpenCTI's
 * worker never meets a reference it cannot resolve. Like pycti's splitter, each object gets a dependency count
 * (1 + the counts of the objects it references inside the bundle) and the objects are stably sorted by it:
 * markings and the author first, then observables, incidents and relationships.
 */
import type { StixBundle, StixObject } from "./StixObject.js"

/** The ids an object references through `*_ref` and `*_refs` properties, each once. */
const referencesOf = (object: StixObject): Array<string> => {
  const refs: Array<string> = []
  for (const key in object) {
    const value = object[key]
    if (typeof value === "string") {
      if (key.endsWith("_ref") && !refs.includes(value)) refs.push(value)
    } else if (Array.isArray(value) && key.endsWith("_refs")) {
      for (const ref of value) if (typeof ref === "string" && !refs.includes(ref)) refs.push(ref)
    }
  }
  return refs
}

/** The dependency count of every object of the bundle, keyed by id. References outside the bundle count 0. */
export const dependencyCounts = (objects: ReadonlyArray<StixObject>): Map<string, number> => {
  const byId = new Map<string, StixObject>()
  for (const object of objects) byId.set(object.id, object)
  const counts = new Map<string, number>()
  const visiting = new Set<string>()
  const count = (id: string): number => {
    const known = counts.get(id)
    if (known !== undefined) return known
    const object = byId.get(id)
    if (object === undefined || visiting.has(id)) return 0 // absent, or a cycle: pycti breaks cycles the same way
    visiting.add(id)
    let total = 1
    for (const ref of referencesOf(object)) if (ref !== id) total += count(ref)
    visiting.delete(id)
    counts.set(id, total)
    return total
  }
  for (const object of objects) count(object.id)
  return counts
}

export interface QueueOrder {
  /** The objects in publishing order. */
  readonly objects: ReadonlyArray<StixObject>
  /** Each object's dependency count (pycti's `nb_deps`, sent as `x_opencti_seq`). */
  readonly counts: ReadonlyMap<string, number>
}

/**
 * The bundle's objects in publishing order, a stable sort by dependency count. Counts are small integers,
 * so the objects are dealt into one list per count, in bundle order, and the lists read in turn.
 */
export const queueOrder = (bundle: StixBundle): QueueOrder => {
  const counts = dependencyCounts(bundle.objects)
  const byCount: Array<Array<StixObject> | undefined> = []
  for (const object of bundle.objects) {
    const count = counts.get(object.id) ?? 1
    const list = byCount[count]
    if (list === undefined) byCount[count] = [object]
    else list.push(object)
  }
  const objects: Array<StixObject> = []
  for (const list of byCount) if (list !== undefined) { for (const object of list) objects.push(object) }
  return { objects, counts }
}
