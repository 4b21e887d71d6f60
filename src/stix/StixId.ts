/**
 * Deterministic STIX ids, byte for byte as stix2 and pycti compute them (docs/stix-mapping.md, "Ids"): UUIDv5 in
 * the STIX namespace over the canonical JSON of an object's contributing properties. The same input always gives
 * the same id, so re-sending a record upserts the same objects in OpenCTI.
 *
 * Ids are computed for every object of every record, so the canonical JSON is written straight into the
 * hash input (`Uuid5`) instead of being built as a string first.
 */
import { memoizeBounded } from "../lib/MemoizeBounded.js"
import * as Uuid5 from "./Uuid5.js"

/** The keys of the contributing properties in canonical order (UTF-16 code units). */
const sortedKeys = (properties: Readonly<Record<string, string>>): Array<string> => {
  const keys = Object.keys(properties)
  if (keys.length > 1) keys.sort()
  return keys
}

/**
 * `<type>--uuid5(namespace, canonical JSON of the contributing properties)` (docs/stix-mapping.md, "The common
 * rule").
 */
export const deterministicId = (type: string, contributing: Readonly<Record<string, string>>): string => {
  const keys = sortedKeys(contributing)
  const name = Uuid5.name().raw("{")
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) name.raw(",")
    name.jsonString(keys[i]!).raw(":").jsonString(contributing[keys[i]!]!)
  }
  return name.raw("}").finish(type)
}

/** `deterministicId` for one contributing property whose key is plain ASCII, without sorting or a record. */
const singlePropertyId = (type: string, key: string, value: string): string =>
  Uuid5.name().raw(`{"${key}":`).jsonString(value).raw("}").finish(type)

/**
 * Domains, URLs, IPs and user agents recur across records, so the last few thousand value ids of each of
 * these types are kept, for values short enough that the caches stay small (a few MB at most). Emails and
 * host names rarely recur within that many records: caching them would cost more than it saves.
 */
const CACHED_VALUE_IDS = 2048
const MAX_CACHED_VALUE_LENGTH = 256
const cachedValueIds = new Map(
  ["domain-name", "url", "ipv4-addr", "ipv6-addr", "user-agent"].map((type) =>
    [type, memoizeBounded(CACHED_VALUE_IDS, (value) => singlePropertyId(type, "value", value))] as const
  )
)

/** The id of an observable whose only contributing property is `value` (most of them). */
export const valueId = (type: string, value: string): string => {
  const cached = value.length > MAX_CACHED_VALUE_LENGTH ? undefined : cachedValueIds.get(type)
  return cached === undefined ? singlePropertyId(type, "value", value) : cached(value)
}

/**
 * Python's `str.strip()`: its whitespace set adds U+001C–U+001F and U+0085 to JavaScript's `trim()`, and lacks
 * U+FEFF, which `trim()` removes (docs/stix-mapping.md, "Python's lower-casing and stripping").
 */
const PYTHON_SPACE =
  "[\\t\\n\\u000b\\u000c\\r\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
const PYTHON_STRIP = new RegExp(`^${PYTHON_SPACE}+|${PYTHON_SPACE}+$`, "g")
export const pythonStrip = (text: string): string => text.replace(PYTHON_STRIP, "")

/**
 * pycti `Identity.generate_id(name, identity_class)`: the official connector's author id. Python's
 * lower-then-strip is reproduced so that any `CONNECTOR_NAME` gives the official connector's id.
 */
export const identityId = (name: string, identityClass: string): string =>
  deterministicId("identity", { identity_class: identityClass.toLowerCase(), name: pythonStrip(name.toLowerCase()) })

/**
 * The incident of one breach record. It depends on the document id alone, so a record that SpyCloud later
 * re-scores (a password cracked: severity 5 → 20) or unmasks keeps its incident, whose name then changes: re-sent
 * modified records upsert the same incident (docs/stix-mapping.md, "The incident id"). OpenCTI keeps this id among
 * the incident's STIX ids and resolves it on every later import.
 */
export const recordIncidentId = (documentId: string): string =>
  singlePropertyId("incident", "spycloud_document_id", documentId)

/**
 * pycti `Incident.generate_id(name, created)` for a `created` already in text form: uuid5 over
 * `{"created": created, "name": name lower-cased and trimmed}`. pycti's `isoformat()` step only applies
 * to Python datetimes; given the STIX `created` text, this is also the standard id OpenCTI computes for the
 * incident it stores (OpenCTI hashes `created` as `Date.toISOString()` and normalises names with JavaScript's
 * `toLowerCase().trim()`).
 */
export const incidentId = (name: string, created: string): string => {
  // The canonical JSON written out (keys in sorted order).
  return Uuid5.name()
    .raw(`{"created":`)
    .jsonString(created)
    .raw(`,"name":`)
    .jsonString(name.toLowerCase().trim())
    .raw("}")
    .finish("incident")
}

/** pycti `StixCoreRelationship.generate_id(type, source, target)` without start/stop times. */
export const relationshipId = (relationshipType: string, sourceRef: string, targetRef: string): string => {
  // The canonical JSON written out (keys in sorted order): one is computed for every observable.
  return Uuid5.name()
    .raw(`{"relationship_type":`)
    .jsonString(relationshipType)
    .raw(`,"source_ref":`)
    .jsonString(sourceRef)
    .raw(`,"target_ref":`)
    .jsonString(targetRef)
    .raw("}")
    .finish("relationship")
}
