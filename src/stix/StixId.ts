/**
 * Deterministic STIX ids, byte for byte as stix2 and pycti compute them (stix-ids.md §1–§2): UUIDv5 in the
 * STIX namespace over the canonical JSON of an object's contributing properties. The same input always
 * gives the same id, so re-sending a record upserts the same objects in OpenCTI.
 */
import { hash } from "node:crypto"

/** stix2's `SCO_DET_ID_NAMESPACE`; pycti hard-codes the same UUID for SDO and SRO ids. */
export const STIX_ID_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7"

// Ids are computed for every object of every record, so hashing avoids per-call allocations: the namespace
// bytes sit at the start of a reusable buffer and each name is written after them.
let scratch = Buffer.alloc(4096)
scratch.write(STIX_ID_NAMESPACE.replaceAll("-", ""), 0, "hex")

const VARIANT_NIBBLE = "89ab89ab89ab89ab" // (n & 0x3) | 0x8, indexed by the hex digit n

/** RFC 4122 UUID version 5 in the STIX namespace (what `uuid`'s `v5(name, namespace)` returns). */
export const uuid5 = (name: string): string => {
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (16 + name.length * 3 > scratch.length) {
    const larger = Buffer.alloc(Math.max(scratch.length * 2, 16 + name.length * 3))
    scratch.copy(larger, 0, 0, 16)
    scratch = larger
  }
  const length = scratch.write(name, 16, "utf8")
  const hex = hash("sha1", scratch.subarray(0, 16 + length), "hex")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${VARIANT_NIBBLE[parseInt(hex[16]!, 16)]}${
    hex.slice(17, 20)
  }-${hex.slice(20, 32)}`
}

const SURROGATE = /[\ud800-\udfff]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** A JSON string literal, as canonical JSON writes it; a lone surrogate throws, as it does in Python. */
const jsonString = (value: string): string => {
  if (SURROGATE.test(value) && LONE_SURROGATE.test(value)) throw new TypeError("lone surrogate in an id property")
  return JSON.stringify(value)
}

/**
 * The canonical JSON (RFC 8785, as `canonicalize` and stix2 write it) of an object of strings: keys sorted
 * by UTF-16 code units, no whitespace, strings as `JSON.stringify` writes them.
 */
export const canonicalJson = (properties: Readonly<Record<string, string>>): string => {
  const keys = Object.keys(properties)
  if (keys.length > 1) keys.sort()
  let json = "{"
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) json += ","
    json += `${JSON.stringify(keys[i])}:${jsonString(properties[keys[i]!]!)}`
  }
  return `${json}}`
}

/** `<type>--uuid5(namespace, canonical JSON of the contributing properties)` (stix-ids.md §1). */
export const deterministicId = (type: string, contributing: Readonly<Record<string, string>>): string =>
  `${type}--${uuid5(canonicalJson(contributing))}`

/** The id of an observable whose only contributing property is `value` (most of them). */
export const valueId = (type: string, value: string): string => `${type}--${uuid5(`{"value":${jsonString(value)}}`)}`

/**
 * Python's `str.strip()`: its whitespace set adds U+001C–U+001F and U+0085 to JavaScript's `trim()`, and
 * lacks U+FEFF, which `trim()` removes (stix-ids.md §2.2).
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
 * re-scores (a password cracked: severity 5 → 20) or unmasks keeps its incident, whose name then changes:
 * re-sent modified records upsert the same incident (DESIGN §5.2). OpenCTI keeps this id among the
 * incident's STIX ids and resolves it on every later import.
 */
export const recordIncidentId = (documentId: string): string =>
  deterministicId("incident", { spycloud_document_id: documentId })

/**
 * pycti `Incident.generate_id(name, created)` for a `created` already in text form: uuid5 over
 * `{"created": created, "name": name lower-cased and trimmed}`. pycti's `isoformat()` step only applies
 * to Python datetimes; given the STIX `created` text, this is also the standard id OpenCTI computes for the
 * incident it stores (OpenCTI hashes `created` as `Date.toISOString()` and normalises names with JavaScript's
 * `toLowerCase().trim()`).
 */
export const incidentId = (name: string, created: string): string =>
  // The canonical JSON written out (keys in sorted order): one is computed for every record.
  `incident--${uuid5(`{"created":${jsonString(created)},"name":${jsonString(name.toLowerCase().trim())}}`)}`

/** pycti `StixCoreRelationship.generate_id(type, source, target)` without start/stop times. */
export const relationshipId = (relationshipType: string, sourceRef: string, targetRef: string): string =>
  // The canonical JSON written out (keys in sorted order): one is computed for every observable.
  `relationship--${
    uuid5(
      `{"relationship_type":${jsonString(relationshipType)},"source_ref":${jsonString(sourceRef)},"target_ref":${
        jsonString(targetRef)
      }}`
    )
  }`
