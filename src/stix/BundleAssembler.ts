/**
 * Packs records' objects into STIX bundles of bounded size, so that memory stays flat however many records
 * a pass imports. Every bundle starts with the author and the marking (pycti's splitter drops references to
 * objects outside the bundle, and OpenCTI needs both); a record's objects are never split across bundles.
 *
 * Within a bundle every id appears once. When records share an object (the same email, domain or IP), the
 * **last** occurrence's content is kept, at the position of the first: later records are the newer data
 * (a modified record re-sent after its first version), like pycti's splitter, which also keeps the last.
 *
 * Objects are grouped in dependency order: the author and the marking, then observables, then incidents
 * (and any other SDO), then relationships. pycti's queue order (`queueOrder`, a stable sort by number of
 * dependencies) keeps that order among objects with as many dependencies, and the unsplit bundle written to
 * a directory or pushed through the API reads the same way.
 */
import { randomUUID } from "node:crypto"
import type { MappingContext } from "./MappingContext.js"
import type { StixBundle, StixObject } from "./StixObject.js"

/** The author and the marking take two places in every bundle; at least one object must fit beside them. */
export const MIN_BUNDLE_OBJECTS = 3

/** 0 the author and marking, 1 observables, 2 SDOs (they have `created`; observables do not), 3 relationships. */
const groupOf = (object: StixObject): 1 | 2 | 3 =>
  object.type === "relationship" || object.type === "sighting" ? 3 : "created" in object ? 2 : 1

export interface BundlePacker {
  /** Adds one record's objects; returns the bundle this completed, if adding them overflowed the current one. */
  readonly add: (recordObjects: ReadonlyArray<StixObject>) => StixBundle | undefined
  /** The bundle in progress, if it holds any record's objects; the packer then starts afresh. */
  readonly flush: () => StixBundle | undefined
}

export interface PackerOptions {
  /** Bundle ids; `bundle--<uuid4>` by default. Tests pass a deterministic one. */
  readonly bundleId?: () => string
}

const randomBundleId = () => `bundle--${randomUUID()}`

/**
 * An incremental packer, for streams: feed records with `add`, send each bundle it returns, and `flush`
 * at the end. `maxObjects` counts the author and the marking; values below 3 are treated as 3.
 */
export const makeBundlePacker = (
  context: MappingContext,
  maxObjects: number,
  options: PackerOptions = {}
): BundlePacker => {
  const capacity = Math.max(MIN_BUNDLE_OBJECTS, Math.floor(maxObjects))
  const bundleId = options.bundleId ?? randomBundleId
  // One list per group; an id's place is its index in its group's list times 4, plus the group (group 0 holds
  // the author and marking). A number per id, not a tuple: a bundle holds thousands of ids.
  let groups: [Array<StixObject>, Array<StixObject>, Array<StixObject>, Array<StixObject>] = [[], [], [], []]
  let places = new Map<string, number>()
  let size = 0
  let records = 0

  const reset = () => {
    groups = [[context.author, context.marking], [], [], []]
    places = new Map([[context.authorId, 0], [context.markingId, 4]])
    size = 2
    records = 0
  }
  reset()

  const flush = (): StixBundle | undefined => {
    if (records === 0) return undefined
    const bundle: StixBundle = {
      type: "bundle",
      id: bundleId(),
      objects: groups[0].concat(groups[1], groups[2], groups[3])
    }
    reset()
    return bundle
  }

  const newIds = (recordObjects: ReadonlyArray<StixObject>): number => {
    let count = 0
    for (const object of recordObjects) if (!places.has(object.id)) count++
    return count
  }

  const add = (recordObjects: ReadonlyArray<StixObject>): StixBundle | undefined => {
    if (recordObjects.length === 0) return undefined
    let completed: StixBundle | undefined
    // Counting the new ids costs a lookup per object: only worth it when they might not all fit.
    if (records > 0 && size + recordObjects.length > capacity && size + newIds(recordObjects) > capacity) {
      completed = flush()
    }
    for (const object of recordObjects) {
      const place = places.get(object.id)
      if (place === undefined) {
        const group = groupOf(object)
        places.set(object.id, groups[group].length * 4 + group)
        groups[group].push(object)
        size++
      } else if (place % 4 !== 0) {
        // The author and marking are the context's own; a record cannot replace them.
        groups[place % 4]![place >>> 2] = object
      }
    }
    records++
    return completed
  }

  return { add, flush }
}

/** Packs every record's objects into bundles of at most `maxObjects` objects (see `makeBundlePacker`). */
export const assembleBundles = (
  recordObjects: Iterable<ReadonlyArray<StixObject>>,
  context: MappingContext,
  maxObjects: number,
  options: PackerOptions = {}
): Array<StixBundle> => {
  const packer = makeBundlePacker(context, maxObjects, options)
  const bundles: Array<StixBundle> = []
  for (const objects of recordObjects) {
    const completed = packer.add(objects)
    if (completed !== undefined) bundles.push(completed)
  }
  const last = packer.flush()
  if (last !== undefined) bundles.push(last)
  return bundles
}
