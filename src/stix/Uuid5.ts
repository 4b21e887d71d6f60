/**
 * RFC 4122 version-5 UUIDs in the STIX namespace (what `uuid`'s `v5(name, namespace)` returns), built for
 * volume: every object of every record needs one. The name is written straight into a reusable byte
 * buffer after the namespace, hashed with SHA-1 in place, and the id comes out as one flat string.
 *
 * Why not `node:crypto`: its one-shot `hash` costs a native call, a hex string and five slices per id, and
 * the id assembled from those slices is a rope that every Map lookup and every JSON write must flatten
 * again. Here an id allocates nothing but itself.
 *
 * Use: `start()`, then `raw`, `jsonString` and `utf8` to write the name, then `finish(type)`. The steps are
 * synchronous and the buffer is shared, so a name must be finished before the next one starts.
 */

/** stix2's `SCO_DET_ID_NAMESPACE`; pycti hard-codes the same UUID for SDO and SRO ids. */
export const STIX_ID_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7"

const NAMESPACE_LENGTH = 16
/** SHA-1 appends at least 9 bytes (0x80 and the 64-bit length), up to a whole block. */
const PADDING_ROOM = 72

let input = new Uint8Array(1024)
for (let i = 0; i < NAMESPACE_LENGTH; i++) {
  input[i] = parseInt(STIX_ID_NAMESPACE.replaceAll("-", "").slice(i * 2, i * 2 + 2), 16)
}
let length = NAMESPACE_LENGTH

const schedule = new Int32Array(80)
const digest = new Int32Array(5)
/** Ids are at most a type name, `--` and 36 characters; longer type names are joined as strings instead. */
const output = Buffer.allocUnsafe(256)
const MAX_INLINE_TYPE = 200
const HEX_DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102])
const DASH = 45
const encoder = new TextEncoder()

/** Room for `bytes` more name bytes and the padding. */
const reserve = (bytes: number) => {
  if (length + bytes + PADDING_ROOM <= input.length) return
  const larger = new Uint8Array(Math.max(input.length * 2, length + bytes + PADDING_ROOM))
  larger.set(input.subarray(0, length))
  input = larger
}

/** Starts a new name (after the namespace). */
export const start = (): void => {
  length = NAMESPACE_LENGTH
}

/** Appends text as UTF-8. */
export const utf8 = (text: string): void => {
  reserve(text.length * 3)
  const from = length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0x80) {
      length = from + encoder.encodeInto(text, input.subarray(from)).written
      return
    }
    input[length++] = code
  }
}

/** Appends ASCII text that needs no checks (the fixed parts of a canonical JSON document). */
export const raw = (ascii: string): void => {
  reserve(ascii.length)
  for (let i = 0; i < ascii.length; i++) input[length++] = ascii.charCodeAt(i)
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Appends a JSON string literal exactly as `JSON.stringify` writes it. A lone surrogate throws, as it does
 * in Python, whose ids these must match.
 */
export const jsonString = (value: string): void => {
  reserve(value.length + 2)
  const from = length
  input[length++] = 34
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    // Quotes, backslashes and control characters are escaped; anything beyond ASCII goes through UTF-8.
    if (code < 0x20 || code === 34 || code === 92 || code >= 0x80) {
      if (LONE_SURROGATE.test(value)) throw new TypeError("lone surrogate in an id property")
      length = from
      utf8(JSON.stringify(value))
      return
    }
    input[length++] = code
  }
  input[length++] = 34
}

/** SHA-1 of the input written so far, into `digest`. */
const sha1 = (): void => {
  const blocks = ((length + 8) >>> 6) + 1
  const padded = blocks * 64
  input.fill(0, length, padded)
  input[length] = 0x80
  const highBits = Math.floor(length / 0x20000000)
  const lowBits = (length * 8) >>> 0
  input[padded - 8] = highBits >>> 24
  input[padded - 7] = highBits >>> 16
  input[padded - 6] = highBits >>> 8
  input[padded - 5] = highBits
  input[padded - 4] = lowBits >>> 24
  input[padded - 3] = lowBits >>> 16
  input[padded - 2] = lowBits >>> 8
  input[padded - 1] = lowBits
  const w = schedule
  let h0 = 0x67452301
  let h1 = 0xefcdab89 | 0
  let h2 = 0x98badcfe | 0
  let h3 = 0x10325476
  let h4 = 0xc3d2e1f0 | 0
  for (let block = 0; block < padded; block += 64) {
    for (let i = 0; i < 16; i++) {
      const at = block + i * 4
      w[i] = (input[at]! << 24) | (input[at + 1]! << 16) | (input[at + 2]! << 8) | input[at + 3]!
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!
      w[i] = (x << 1) | (x >>> 31)
    }
    let a = h0
    let b = h1
    let c = h2
    let d = h3
    let e = h4
    for (let i = 0; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    for (let i = 20; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    for (let i = 40; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[i]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    for (let i = 60; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[i]!) | 0
      e = d
      d = c
      c = (b << 30) | (b >>> 2)
      b = a
      a = t
    }
    h0 = (h0 + a) | 0
    h1 = (h1 + b) | 0
    h2 = (h2 + c) | 0
    h3 = (h3 + d) | 0
    h4 = (h4 + e) | 0
  }
  digest[0] = h0
  digest[1] = h1
  digest[2] = h2
  digest[3] = h3
  digest[4] = h4
}

let at = 0
const hexByte = (byte: number) => {
  output[at++] = HEX_DIGITS[(byte >>> 4) & 15]!
  output[at++] = HEX_DIGITS[byte & 15]!
}
const hexWord = (word: number) => {
  hexByte(word >>> 24)
  hexByte(word >>> 16)
  hexByte(word >>> 8)
  hexByte(word)
}

/**
 * Hashes the name and returns `<type>--<uuid>` (or the bare UUID without a type): the first 16 bytes of
 * the SHA-1, with the version nibble set to 5 and the variant bits to 10.
 */
export const finish = (type?: string): string => {
  if (type !== undefined && type.length > MAX_INLINE_TYPE) return `${type}--${finish()}`
  sha1()
  const h0 = digest[0]!
  const h1 = digest[1]!
  const h2 = digest[2]!
  const h3 = digest[3]!
  at = 0
  if (type !== undefined) {
    // Type names are ASCII (STIX types), so each character is one byte.
    for (let i = 0; i < type.length; i++) output[at++] = type.charCodeAt(i)
    output[at++] = DASH
    output[at++] = DASH
  }
  hexWord(h0)
  output[at++] = DASH
  hexByte(h1 >>> 24)
  hexByte(h1 >>> 16)
  output[at++] = DASH
  hexByte(((h1 >>> 8) & 0x0f) | 0x50)
  hexByte(h1)
  output[at++] = DASH
  hexByte(((h2 >>> 24) & 0x3f) | 0x80)
  hexByte(h2 >>> 16)
  output[at++] = DASH
  hexByte(h2 >>> 8)
  hexByte(h2)
  hexWord(h3)
  return output.toString("latin1", 0, at)
}
