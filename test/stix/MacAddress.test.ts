import { describe, expect, it } from "@effect/vitest"
import { macValue } from "../../src/stix/MacAddress.js"

describe("macValue", () => {
  it.each([
    ["00:0a:95:9d:68:16", "00:0a:95:9d:68:16"],
    ["00-0A-95-9D-68-16", "00:0a:95:9d:68:16"],
    ["00:0a-95:9d-68:16", "00:0a:95:9d:68:16"],
    ["000A959D6816", "00:0a:95:9d:68:16"],
    ["000a.959d.6816", "00:0a:95:9d:68:16"],
    ["FF:FF:FF:FF:FF:FF", "ff:ff:ff:ff:ff:ff"]
  ])("%s is written %s (lower case, colon-separated, as STIX requires)", (text, value) => {
    expect(macValue(text)).toBe(value)
  })

  it.each([
    "",
    "0:a:95:9d:68:16",
    "00:0a:95:9d:68",
    "00:0a:95:9d:68:16:00",
    "zz:0a:95:9d:68:16",
    "000A959D681",
    "000a.959d.681",
    "00:0a:95:9d:68:16\n",
    "00 0a 95 9d 68 16"
  ])("rejects %j", (text) => {
    expect(macValue(text)).toBeUndefined()
  })
})
