import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { createHash } from "node:crypto"
import { v5 } from "uuid"
import * as Uuid5 from "../../src/stix/Uuid5.js"

const idOf = (name: string, type?: string) => Uuid5.name().utf8(name).finish(type)

const jsonIdOf = (value: string) => Uuid5.name().raw(`{"value":`).jsonString(value).raw("}").finish("url")

const expectedUrlId = (value: string) => `url--${v5(`{"value":${JSON.stringify(value)}}`, Uuid5.STIX_ID_NAMESPACE)}`

describe("Uuid5", () => {
  it("gives uuid's v5 for names of every length around SHA-1's block and padding boundaries", () => {
    // 16 namespace bytes + the name: 55, 56 and 64 bytes are where the padding needs a second block.
    for (let length = 0; length <= 200; length++) {
      const name = "x".repeat(length)
      expect(idOf(name)).toBe(v5(name, Uuid5.STIX_ID_NAMESPACE))
    }
  })

  it("gives uuid's v5 for names of the same lengths before and after one that outgrows the buffer", () => {
    const lengths = [0, 40, 511, 512, 513, 900]
    const names = (fill: string) => lengths.map((length) => fill.repeat(length))
    for (const name of names("a")) expect(idOf(name)).toBe(v5(name, Uuid5.STIX_ID_NAMESPACE))
    const long = "l".repeat(5000)
    expect(idOf(long)).toBe(v5(long, Uuid5.STIX_ID_NAMESPACE))
    for (const name of [...names("b"), ...names("c")]) expect(idOf(name)).toBe(v5(name, Uuid5.STIX_ID_NAMESPACE))
  })

  it("gives uuid's v5 for any text, with the type in front when given", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.oneof(
          FastCheck.string({ unit: "grapheme", maxLength: 300 }),
          FastCheck.string({ unit: "grapheme-ascii", minLength: 1000, maxLength: 3000 })
        ),
        (name) => {
          expect(idOf(name)).toBe(v5(name, Uuid5.STIX_ID_NAMESPACE))
          expect(idOf(name, "email-addr")).toBe(`email-addr--${v5(name, Uuid5.STIX_ID_NAMESPACE)}`)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("hashes exactly the namespace bytes and the UTF-8 name (checked against node:crypto's SHA-1)", () => {
    const name = "Zoë 😀 \\ \" \n"
    const namespace = Buffer.from(Uuid5.STIX_ID_NAMESPACE.replaceAll("-", ""), "hex")
    const sha1 = createHash("sha1").update(Buffer.concat([namespace, Buffer.from(name, "utf8")])).digest("hex")
    const id = idOf(name).replaceAll("-", "")
    // Only the version nibble (12) and the variant bits (16) differ from the digest's first 16 bytes.
    expect(id.slice(0, 12) + id.slice(13, 16) + id.slice(17)).toBe(
      sha1.slice(0, 12) + sha1.slice(13, 16) + sha1.slice(17, 32)
    )
    expect(id[12]).toBe("5")
    expect("89ab").toContain(id[16])
  })

  it("writes JSON strings as JSON.stringify does, escapes and non-ASCII included", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ unit: "grapheme", maxLength: 200 }), (value) => {
        expect(jsonIdOf(value)).toBe(`url--${v5(`{"value":${JSON.stringify(value)}}`, Uuid5.STIX_ID_NAMESPACE)}`)
      }),
      { numRuns: 300 }
    )
    for (const value of ["a\"b", "back\\slash", "tab\tand\nnewline\u0001", "é", "\u2028"]) {
      expect(jsonIdOf(value)).toBe(`url--${v5(`{"value":${JSON.stringify(value)}}`, Uuid5.STIX_ID_NAMESPACE)}`)
    }
  })

  it("puts a type name longer than the id buffer's room in front too", () => {
    const type = "x-custom-".repeat(40)
    expect(idOf("name", type)).toBe(`${type}--${v5("name", Uuid5.STIX_ID_NAMESPACE)}`)
  })

  it("refuses a lone surrogate in a JSON string", () => {
    expect(() => jsonIdOf("a\ud800b")).toThrow(TypeError)
    expect(() => jsonIdOf("\udc00")).toThrow(TypeError)
  })

  it("starts afresh after a refused name", () => {
    expect(() => jsonIdOf("\ud800")).toThrow()
    expect(jsonIdOf("ok")).toBe(expectedUrlId("ok"))
  })

  it("gives each of two interleaved names its own id", () => {
    // Written alternately, as two fibers or a nested call would: neither name sees the other's bytes.
    const first = Uuid5.name().raw(`{"value":`)
    const second = Uuid5.name().raw(`{"value":`)
    first.jsonString("first.example")
    second.jsonString("second.example").raw("}")
    const nested = jsonIdOf("nested.example")
    expect(first.raw("}").finish("url")).toBe(expectedUrlId("first.example"))
    expect(second.finish("url")).toBe(expectedUrlId("second.example"))
    expect(nested).toBe(expectedUrlId("nested.example"))
  })

  it("reuses released writers without carrying a name over", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.string({ maxLength: 40 }), { maxLength: 12 }), (values) => {
        // Open all writers at once, then finish them in reverse order: the pool fills and empties.
        const writers = values.map((value) => Uuid5.name().raw(`{"value":`).jsonString(value).raw("}"))
        const ids = writers.reverse().map((writer) => writer.finish("url"))
        expect(ids).toEqual(values.map(expectedUrlId).reverse())
      }),
      { numRuns: 200 }
    )
  })
})
