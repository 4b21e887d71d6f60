/**
 * Deterministic STIX ids, byte for byte as stix2 and pycti compute them (stix-ids.md §1–§2): UUIDv5 in the
 * STIX namespace over the canonical JSON of an object's contributing properties. The same input always
 * gives the same id, so re-sending a record upserts the same objects in OpenCTI.
 */
import canonicalize from "canonicalize"
import { parse as parseUuid, v5 } from "uuid"

/** stix2's `SCO_DET_ID_NAMESPACE`; pycti hard-codes the same UUID for SDO and SRO ids. */
export const STIX_ID_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7"

// Parsed once: uuid's v5 would otherwise parse the namespace text on every call.
const NAMESPACE_BYTES = parseUuid(STIX_ID_NAMESPACE)

/**
 * `<type>--uuid5(namespace, canonical JSON of contributing)`. Every contributing value here is a string,
 * for which `canonicalize` writes exactly what Python's canonicalizer writes. A string holding a lone
 * UTF-16 surrogate makes `canonicalize` throw: callers validate values before they reach this point.
 */
export const deterministicId = (type: string, contributing: Readonly<Record<string, string>>): string =>
  `${type}--${v5(canonicalize(contributing)!, NAMESPACE_BYTES)}`

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
 * pycti `Incident.generate_id(name, created)` for a `created` already in text form: uuid5 over
 * `{"created": created, "name": name lower-cased and trimmed}`. pycti's `isoformat()` step only applies
 * to Python datetimes; given the STIX `created` text, this is also the standard id OpenCTI computes for the
 * incident it stores (OpenCTI hashes `created` as `Date.toISOString()` and normalises names with JavaScript's
 * `toLowerCase().trim()`).
 */
export const incidentId = (name: string, created: string): string =>
  deterministicId("incident", { created, name: name.toLowerCase().trim() })

/** pycti `StixCoreRelationship.generate_id(type, source, target)` without start/stop times. */
export const relationshipId = (relationshipType: string, sourceRef: string, targetRef: string): string =>
  deterministicId("relationship", {
    relationship_type: relationshipType,
    source_ref: sourceRef,
    target_ref: targetRef
  })
