/**
 * What Python's `ipaddress.ip_address` accepts, which is what the official connector emits (docs/stix-mapping.md,
 * "Validation per type").
 */
import { describe, expect, it } from "@effect/vitest"
import { ipVersion } from "../../src/stix/IpAddress.js"

describe("ipVersion", () => {
  it.each(["102.16.50.152", "0.0.0.0", "255.255.255.255", "10.0.0.1"])("%s is IPv4", (text) => {
    expect(ipVersion(text)).toBe("ipv4")
  })

  it.each([
    "2001:db8::1",
    "2001:DB8::1",
    "::",
    "::1",
    "1::",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "::ffff:192.0.2.128",
    "::1.2.3.4",
    "1:2:3:4:5:6:1.2.3.4",
    "fe80::1%eth0",
    "fe80::1%1",
    "0000:0000:0000:0000:0000:0000:0000:0001"
  ])("%s is IPv6", (text) => {
    expect(ipVersion(text)).toBe("ipv6")
  })

  it.each([
    "",
    "256.1.1.1",
    "01.2.3.4",
    "192.168.001.1",
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    " 1.2.3.4",
    "1.2.3.4 ",
    "10.0.0.1/8",
    "١.٢.٣.٤",
    "1:2:3:4:5:6:7:8:9",
    "1::2:3:4:5:6:7:8",
    "1::2::3",
    ":1::2",
    "1::2:",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7",
    "12345::1",
    "g::1",
    "1:2",
    "fe80::1%",
    "fe80::1%a%b",
    "::ffff:01.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    "2001:db8::1/64",
    "[::1]",
    "localhost"
  ])("%j is not an IP address", (text) => {
    expect(ipVersion(text)).toBeUndefined()
  })
})
