/**
 * RFC 4122 version-5 UUIDs in the STIX namespace (what `uuid`'s `v5(name, namespace)` returns), built for
 * volume: every object of every record needs one. The name (the canonical JSON of the contributing
 * properties) is written straight into a reusable byte buffer after the namespace instead of being built
 * as a string first, hashed there with node's SHA-1, and the id comes out as one flat string. An id made
 * by joining slices of the digest would be a rope that every Map lookup and every JSON write flattens
 * again, a copy per use (docs/decisions.md, "Hand-written UUIDv5").
 *
 * Use: `const name = Uuid5.name()`, then `raw`, `jsonString` and `utf8` to write it, then `finish(type)`.
 * Each name has its own writer, so names may be interleaved or nested; a finished writer goes back to a
 * small pool, which keeps the buffers reused as when there was only one.
 */
import { hash } from "node:crypto"

/** stix2's `SCO_DET_ID_NAMESPACE`; pycti hard-codes the same UUID for SDO and SRO ids. */
export const STIX_ID_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7"

const NAMESPACE_LENGTH = 16
const NAMESPACE_BYTES = Buffer.from(STIX_ID_NAMESPACE.replaceAll("-", ""), "hex")

/** Ids are at most a type name, `--` and 36 characters; longer type names are joined as strings instead. */
const output = Buffer.allocUnsafe(256)
const MAX_INLINE_TYPE = 200
const MAX_KEPT_VIEW = 512
const DASH = 45
const VERSION_5 = 53 // "5"
const QUOTE = 34
const BACKSLASH = 92
/** The variant digit (10xx in binary) for each hex digit of the digest, indexed by its character code. */
const VARIANT_DIGITS = new Uint8Array(128)
for (const [index, digit] of [..."0123456789abcdef"].entries()) {
  VARIANT_DIGITS[digit.charCodeAt(0)] = "89ab".charCodeAt(index & 3)
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** The id text for a SHA-1 digest in hex: version nibble 5, variant bits 10, the type in front if given. */
const formatId = (hex: string, type: string | undefined): string => {
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

/** One name being written: the namespace, then what the caller appends. */
export class NameWriter {
  private input = Buffer.alloc(1024)
  private length = NAMESPACE_LENGTH
  /**
   * `input.subarray(0, length)` by length up to `MAX_KEPT_VIEW`, made once: names have a few dozen lengths,
   * hashed over and over.
   */
  private views: Array<Buffer | undefined> = []

  constructor() {
    NAMESPACE_BYTES.copy(this.input, 0)
  }

  /** Room for `bytes` more name bytes. */
  private reserve(bytes: number): void {
    if (this.length + bytes <= this.input.length) return
    const larger = Buffer.alloc(Math.max(this.input.length * 2, this.length + bytes))
    this.input.copy(larger, 0, 0, this.length)
    this.input = larger
    this.views = []
  }

  /** Appends text as UTF-8. */
  utf8(text: string): this {
    this.reserve(text.length * 3)
    this.length += this.input.write(text, this.length, "utf8")
    return this
  }

  /** Appends ASCII text that needs no checks (the fixed parts of a canonical JSON document). */
  raw(ascii: string): this {
    this.reserve(ascii.length)
    const input = this.input
    let length = this.length
    for (let i = 0; i < ascii.length; i++) input[length++] = ascii.charCodeAt(i)
    this.length = length
    return this
  }

  /**
   * Appends a JSON string literal exactly as `JSON.stringify` writes it. A lone surrogate throws, as it
   * does in Python, whose ids these must match; the writer is then released unused.
   */
  jsonString(value: string): this {
    this.reserve(value.length + 2)
    const input = this.input
    let length = this.length
    input[length++] = QUOTE
    // Plain ASCII (most values) is copied as it is, in the same pass that checks it.
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i)
      if (code < 0x20 || code === QUOTE || code === BACKSLASH || code > 0x7f) return this.escapedJsonString(value)
      input[length++] = code
    }
    input[length++] = QUOTE
    this.length = length
    return this
  }

  /** `jsonString` for a value that `JSON.stringify` escapes or that goes beyond ASCII. */
  private escapedJsonString(value: string): this {
    if (LONE_SURROGATE.test(value)) {
      this.release()
      throw new TypeError("lone surrogate in an id property")
    }
    return this.utf8(JSON.stringify(value))
  }

  /**
   * Hashes the name and returns `<type>--<uuid>` (or the bare UUID without a type): the first 16 bytes of
   * the SHA-1, with the version nibble set to 5 and the variant bits to 10. The writer is released.
   */
  finish(type?: string): string {
    const length = this.length
    const view = length > MAX_KEPT_VIEW
      ? this.input.subarray(0, length)
      : this.views[length] ??= this.input.subarray(0, length)
    const hex = hash("sha1", view, "hex")
    this.release()
    if (type !== undefined && type.length > MAX_INLINE_TYPE) return `${type}--${formatId(hex, undefined)}`
    return formatId(hex, type)
  }

  private release(): void {
    this.length = NAMESPACE_LENGTH
    if (pool.length < POOL_LIMIT) pool.push(this)
  }
}

/** Writers waiting for their next name. Ids are made one after another, so the pool rarely holds more than one. */
const pool: Array<NameWriter> = []
const POOL_LIMIT = 8

/** A writer for a new name, positioned after the namespace. */
export const name = (): NameWriter => pool.pop() ?? new NameWriter()
