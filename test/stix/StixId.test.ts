/**
 * Every stix2/pycti vector of docs/stix-mapping.md, "Worked examples" (computed with stix2 3.0.2 and pycti
 * 6.8.10), plus the other pinned ids of that section and one standard id stored by OpenCTI itself.
 */
import { describe, expect, it } from "@effect/vitest"
import canonicalize from "canonicalize"
import { FastCheck } from "effect"
import { v5 } from "uuid"
import {
  deterministicId,
  identityId,
  incidentId,
  pythonStrip,
  recordIncidentId,
  relationshipId,
  valueId
} from "../../src/stix/StixId.js"
import { TLP_MARKING_IDS } from "../../src/stix/TlpMarking.js"
import { STIX_ID_NAMESPACE } from "../../src/stix/Uuid5.js"

const IPHONE_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1"

/** [example, type, contributing properties, the "uuid5 name" column, id] */
const SCO_VECTORS: ReadonlyArray<readonly [string, string, Record<string, string>, string, string]> = [
  [
    "#1 user-account, account_login only",
    "user-account",
    { account_login: "jdoe" },
    `{"account_login":"jdoe"}`,
    "user-account--bc11eaab-cfd6-5ad8-bf02-2386bf690e12"
  ],
  [
    "#2 user-account, account_login + account_type",
    "user-account",
    { account_login: "DESKTOP-QG09M33", account_type: "Windows 11 build 22631 (64 Bit)" },
    `{"account_login":"DESKTOP-QG09M33","account_type":"Windows 11 build 22631 (64 Bit)"}`,
    "user-account--48f270fe-4bea-5b6f-a8c8-040626ff8942"
  ],
  [
    "#3 email-addr",
    "email-addr",
    { value: "grolfson@example.org" },
    `{"value":"grolfson@example.org"}`,
    "email-addr--002fb737-2294-5e72-b0bd-ade3ec5a5aaf"
  ],
  [
    "#5 ipv4-addr",
    "ipv4-addr",
    { value: "102.16.50.152" },
    `{"value":"102.16.50.152"}`,
    "ipv4-addr--56d0d09f-3bbe-5a60-b2b2-d8865114ab32"
  ],
  [
    "#6 ipv6-addr",
    "ipv6-addr",
    { value: "2001:db8::1" },
    `{"value":"2001:db8::1"}`,
    "ipv6-addr--6469e3a9-b053-5e34-a025-9396ae051d26"
  ],
  [
    "#7 domain-name",
    "domain-name",
    { value: "demo.inertiajs.com" },
    `{"value":"demo.inertiajs.com"}`,
    "domain-name--f943e301-6c57-5aca-97d5-7cc6805d9a2a"
  ],
  [
    "#8 url",
    "url",
    { value: "http://demo.inertiajs.com/users/3/edit" },
    `{"value":"http://demo.inertiajs.com/users/3/edit"}`,
    "url--bceb571b-f727-5d33-9b83-1572f100d2af"
  ],
  [
    "#9 mac-addr",
    "mac-addr",
    { value: "00:0a:95:9d:68:16" },
    `{"value":"00:0a:95:9d:68:16"}`,
    "mac-addr--85fd9b95-2ff2-585c-8eda-c2c9460b9ca1"
  ],
  [
    "#10 file named by the whole Windows path",
    "file",
    { name: "C:\\Users\\LENOVO\\Desktop\\Adobe Illustrator\\Set-up.exe" },
    `{"name":"C:\\\\Users\\\\LENOVO\\\\Desktop\\\\Adobe Illustrator\\\\Set-up.exe"}`,
    "file--0b2363b7-aa65-54d1-a358-b0cda0adaced"
  ],
  ["#11 directory .", "directory", { path: "." }, `{"path":"."}`, "directory--5211d636-396c-5652-84b5-efef13f8bac2"],
  [
    "#12 directory, POSIX path",
    "directory",
    { path: "/home/john/.cache" },
    `{"path":"/home/john/.cache"}`,
    "directory--788001a8-7f26-5000-8895-7898297b0233"
  ],
  [
    "#13 user-agent (pycti custom SCO)",
    "user-agent",
    { value: IPHONE_UA },
    `{"value":"${IPHONE_UA}"}`,
    "user-agent--dc396343-e841-5d5d-87a0-3d53c40c92c7"
  ],
  [
    "#25 marking-definition, pycti's generic rule",
    "marking-definition",
    { definition: "custom", definition_type: "statement" },
    `{"definition":"custom","definition_type":"statement"}`,
    "marking-definition--624ceec7-626d-5808-a4b1-ec4447860f6c"
  ],
  [
    "pinned: ipv6-addr with an IPv4 tail",
    "ipv6-addr",
    { value: "::ffff:192.0.2.128" },
    `{"value":"::ffff:192.0.2.128"}`,
    "ipv6-addr--6a0f88b7-4f37-53fd-8c75-70d1e733de25"
  ],
  [
    "pinned: domain-name kept in Unicode",
    "domain-name",
    { value: "пример.com" },
    `{"value":"пример.com"}`,
    "domain-name--6575275d-45d6-5912-be3b-72b517ea0e40"
  ]
]

describe("deterministicId", () => {
  it.each(SCO_VECTORS)("%s", (_, type, contributing, canonicalName, id) => {
    expect(canonicalize(contributing)).toBe(canonicalName)
    expect(deterministicId(type, contributing)).toBe(id)
  })

  it("does not depend on the order in which properties are given", () => {
    expect(
      deterministicId("user-account", {
        account_type: "Windows 11 build 22631 (64 Bit)",
        account_login: "DESKTOP-QG09M33"
      })
    )
      .toBe("user-account--48f270fe-4bea-5b6f-a8c8-040626ff8942")
  })

  it("sets the UUID version 5 and RFC 4122 variant nibbles", () => {
    for (const [, type, contributing] of SCO_VECTORS) {
      expect(deterministicId(type, contributing)).toMatch(
        /--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
      )
    }
  })
})

describe("identityId (pycti Identity.generate_id)", () => {
  it("#14 SpyCloud / organization", () => {
    expect(identityId("SpyCloud", "organization")).toBe("identity--115e787b-4b83-59ef-b350-aeb7b1736c74")
  })

  it("#15 lower-cases and strips the name", () => {
    expect(identityId("  SPYCLOUD ", "organization")).toBe("identity--115e787b-4b83-59ef-b350-aeb7b1736c74")
  })

  it("the author name of the official connector's unit tests", () => {
    expect(identityId("Spycloud Test", "organization")).toBe("identity--29534c5c-b9ec-5725-ad53-9c60e08a6cb0")
  })

  it("lower-cases the identity class only", () => {
    expect(identityId("SpyCloud", "Organization")).toBe("identity--115e787b-4b83-59ef-b350-aeb7b1736c74")
  })

  it("strips what Python's str.strip() strips, not what JavaScript's trim() strips", () => {
    expect(pythonStrip("\u001c\u0085 SpyCloud\t\u001f")).toBe("SpyCloud")
    expect(pythonStrip("\ufeffSpyCloud")).toBe("\ufeffSpyCloud")
    expect(identityId("\u001cSpyCloud\u0085", "organization")).toBe("identity--115e787b-4b83-59ef-b350-aeb7b1736c74")
    expect(identityId("\ufeffSpyCloud", "organization")).not.toBe("identity--115e787b-4b83-59ef-b350-aeb7b1736c74")
  })
})

describe("incidentId (pycti Incident.generate_id)", () => {
  it("#16 created as Python's isoformat() of a tz-aware UTC datetime", () => {
    expect(incidentId("Spycloud high alert on grolfson@example.org", "2024-12-04T00:00:00+00:00"))
      .toBe("incident--71266bc6-5763-56ea-99f6-16fa4e2781a6")
  })

  it("#17 a naive created gives another id", () => {
    expect(incidentId("Spycloud high alert on grolfson@example.org", "2024-12-04T00:00:00"))
      .toBe("incident--437c5897-1346-5dd4-944b-a976add907c1")
  })

  it("equals the standard id OpenCTI stored for an incident (OpenCTI's own test data)", () => {
    // opencti-graphql test data INCIDENT_INSTANCE: name "Incident Stix 2.0", created 2025-07-30T16:26:06.212Z.
    expect(incidentId("Incident Stix 2.0", "2025-07-30T16:26:06.212Z"))
      .toBe("incident--4e110b9d-8c95-581e-8618-4be501bcbe06")
  })

  it("is case- and surrounding-space-insensitive in the name", () => {
    expect(incidentId("  SPYCLOUD HIGH ALERT ON GROLFSON@EXAMPLE.ORG ", "2024-12-04T00:00:00+00:00"))
      .toBe("incident--71266bc6-5763-56ea-99f6-16fa4e2781a6")
  })
})

describe("relationshipId (pycti StixCoreRelationship.generate_id)", () => {
  it("#18 related-to from an email-addr to an incident", () => {
    expect(relationshipId(
      "related-to",
      "email-addr--002fb737-2294-5e72-b0bd-ade3ec5a5aaf",
      "incident--71266bc6-5763-56ea-99f6-16fa4e2781a6"
    )).toBe("relationship--60a33321-cc37-59bf-a882-705847d267ab")
  })
})

describe("TLP marking ids", () => {
  it.each(
    [
      ["#19", "white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"],
      ["#20", "green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
      ["#21", "amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"],
      ["#22 and #24", "amber+strict", "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"],
      ["#23", "red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]
    ] as const
  )("%s %s", (_, level, id) => {
    expect(TLP_MARKING_IDS[level]).toBe(id)
  })
})

describe("the id machinery against the reference libraries (canonicalize 4, uuid 14)", () => {
  const wellFormed = FastCheck.string({ unit: "grapheme", maxLength: 300 })
  const keys = FastCheck.constantFrom(
    "value",
    "name",
    "path",
    "account_login",
    "account_type",
    "created",
    "a",
    "Z",
    "é"
  )

  it("hashes the canonical JSON canonicalize writes, with uuid's v5, for short and long values", () => {
    const value = FastCheck.oneof(wellFormed, FastCheck.string({ unit: "grapheme", minLength: 2000, maxLength: 5000 }))
    FastCheck.assert(
      FastCheck.property(FastCheck.dictionary(keys, value), (properties) => {
        expect(deterministicId("x-test", properties)).toBe(
          `x-test--${v5(canonicalize(properties)!, STIX_ID_NAMESPACE)}`
        )
      }),
      { numRuns: 500 }
    )
  })

  it("gives the same ids through every shortcut", () => {
    FastCheck.assert(
      FastCheck.property(wellFormed, wellFormed, wellFormed, (a, b, c) => {
        expect(valueId("url", a)).toBe(`url--${v5(canonicalize({ value: a })!, STIX_ID_NAMESPACE)}`)
        expect(recordIncidentId(a)).toBe(
          `incident--${v5(canonicalize({ spycloud_document_id: a })!, STIX_ID_NAMESPACE)}`
        )
        expect(incidentId(a, b)).toBe(
          `incident--${v5(canonicalize({ name: a.toLowerCase().trim(), created: b })!, STIX_ID_NAMESPACE)}`
        )
        expect(relationshipId(a, b, c)).toBe(
          `relationship--${
            v5(canonicalize({ target_ref: c, source_ref: b, relationship_type: a })!, STIX_ID_NAMESPACE)
          }`
        )
      }),
      { numRuns: 300 }
    )
  })

  it("gives the same value ids when asked again, per type, for short and long values", () => {
    const expected = (type: string, value: string) => `${type}--${v5(canonicalize({ value })!, STIX_ID_NAMESPACE)}`
    const values = [
      "example.com",
      "203.0.113.7",
      "x".repeat(256),
      "y".repeat(257),
      ...Array.from({ length: 3000 }, (_, i) => `h${i}.example.com`)
    ]
    for (let pass = 0; pass < 2; pass++) {
      for (const value of values) {
        for (const type of ["domain-name", "hostname"]) expect(valueId(type, value)).toBe(expected(type, value))
      }
    }
  })

  it("refuses a lone surrogate, which Python cannot hash", () => {
    expect(() => valueId("url", "a\ud800b")).toThrow()
    expect(() => valueId("url", "a\ud800b")).toThrow()
    expect(() => deterministicId("url", { value: "\udc00" })).toThrow()
    expect(valueId("url", "😀")).toBe(`url--${v5(canonicalize({ value: "😀" })!, STIX_ID_NAMESPACE)}`)
  })
})
