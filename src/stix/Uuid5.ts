/**
 * RFC 4122 version-5 UUIDs in the STIX namespace (what `uuid`'s `v5(name, namespace)` returns), built for
 * volume: every object of every record needs one. The name (the canonical JSON of the contributing
 * properties) is written straight into a reusable byte buffer after the namespace instead of being built
 * as a string first, hashed there with node's SHA-1, and the id comes out as one flat string. An id made
 * by joining slices of the digest would be a rope that every Map lookup and every JSON write flattens
 * again, a copy per use.
 *
 * Use: `start()`, then `raw`, `jsonString` and `utf8` to write the name, then `finish(type)`. The steps are
 * synchronous and the buffer is shared, so a name must be finished before the next one starts.
 */
import { hash } from "node:crypto"

/** stix2's `SCO_DET_ID_NAMESPACE`; pycti hard-codes the same UUID for SDO and SRO ids. */
export const STIX_ID_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7"

const NAMESPACE_LENGTH = 16

let input = Buffer.alloc(1024)
input.write(STIX_ID_NAMESPACE.replaceAll("-", ""), 0, "hex")
let length = NAMESPACE_LENGTH

/** Ids are at most a type name, `--` and 36 characters; longer type names are joined as strings instead. */
const output = Buffer.allocUnsafe(256)
const MAX_INLINE_TYPE = 200
const DASH = 45
const VERSION_5 = 53 // "5"
/** The variant digit (10xx in binary) for each hex digit of the digest, indexed by its character code. */
const VARIANT_DIGITS = new Uint8Array(128)
for (const [index, digit] of [..."0123456789abcdef"].entries()) {
  VARIANT_DIGITS[digit.charCodeAt(0)] = "89ab".charCodeAt(index & 3)
}

/** Room for `bytes` more name bytes. */
const reserve = (bytes: number) => {
  if (length + bytes <= input.length) return
  const larger = Buffer.alloc(Math.max(input.length * 2, length + bytes))
  input.copy(larger, 0, 0, length)
  input = larger
}

/** Starts a new name (after the namespace). */
export const start = (): void => {
  length = NAMESPACE_LENGTH
}

/** Appends text as UTF-8. */
export const utf8 = (text: string): void => {
  reserve(text.length * 3)
  length += input.write(text, length, "utf8")
}

/** Appends ASCII text that needs no checks (the fixed parts of a canonical JSON document). */
export const raw = (ascii: string): void => {
  reserve(ascii.length)
  for (let i = 0; i < ascii.length; i++) input[length++] = ascii.charCodeAt(i)
}

const QUOTE = 34
/** What `JSON.stringify` escapes (quote, backslash, control characters) and anything beyond ASCII. */
const NOT_PLAIN_ASCII = /["\\\u0000-\u001f\u0080-\uffff]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Appends a JSON string literal exactly as `JSON.stringify` writes it. A lone surrogate throws, as it does
 * in Python, whose ids these must match.
 */
export const jsonString = (value: string): void => {
  if (NOT_PLAIN_ASCII.test(value)) {
    if (LONE_SURROGATE.test(value)) throw new TypeError("lone surrogate in an id property")
    utf8(JSON.stringify(value))
    return
  }
  reserve(value.length + 2)
  input[length++] = QUOTE
  length += input.write(value, length, "latin1")
  input[length++] = QUOTE
}

/**
 * Hashes the name and returns `<type>--<uuid>` (or the bare UUID without a type): the first 16 bytes of
 * the SHA-1, with the version nibble set to 5 and the variant bits to 10.
 */
export const finish = (type?: string): string => {
  if (type !== undefined && type.length > MAX_INLINE_TYPE) return `${type}--${finish()}`
  const hex = hash("sha1", input.subarray(0, length), "hex")
  let at = 0
  if (type !== undefined) {
    // Type names are ASCII (STIX types), so each character is one byte.
    for (let i = 0; i < type.length; i++) output[at++] = type.charCodeAt(i)
    output[at++] = DASH
    output[at++] = DASH
  }
  for (let i = 0; i < 32; i++) {
    if (i === 8 || i === 12 || i === 16 || i === 20) output[at++] = DASH
    output[at++] = i === 12 ? VERSION_5 : i === 16 ? VARIANT_DIGITS[hex.charCodeAt(16)]! : hex.charCodeAt(i)
  }
  return output.toString("latin1", 0, at)
}
