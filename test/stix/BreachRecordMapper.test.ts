import { describe, expect, it } from "@effect/vitest"
import { FastCheck, Option } from "effect"
import { v5 } from "uuid"
import type { BreachRecord } from "../../src/spycloud/BreachRecord.js"
import { mapBreachRecord } from "../../src/stix/BreachRecordMapper.js"
import { makeMappingContext } from "../../src/stix/MappingContext.js"
import { RecordMapping } from "../../src/stix/RecordMapping.js"
import type { StixObject } from "../../src/stix/StixObject.js"
import { catalog67701, IPHONE_USER_AGENT, malwareRecord } from "../fixtures/stix/records.js"
import { tableRows } from "../support/MarkdownTable.js"
import { describeWithShared } from "../support/Shared.js"
import { assertValidObjects } from "../support/StixValidator.js"

const context = makeMappingContext({ connectorName: "SpyCloud", tlp: "amber+strict", includeSensitiveData: false })
const AUTHOR = "identity--115e787b-4b83-59ef-b350-aeb7b1736c74"
const MARKING = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"

/**
 * An id from the canonical JSON written out by hand (docs/stix-mapping.md, "The common rule"), independently of
 * the mapper.
 */
const idOf = (type: string, canonicalJson: string) =>
  `${type}--${v5(canonicalJson, "00abedb4-aa42-466c-9c01-fed23315a9b7")}`

const mapped = (record: BreachRecord, catalog = Option.none<typeof catalog67701>(), ctx = context) => {
  const mapping = mapBreachRecord(record, catalog, ctx)
  if (mapping._tag !== "Mapped") throw new Error(`expected Mapped, got ${mapping.reason}`)
  return mapping
}

const record = (fields: Record<string, unknown>): BreachRecord => ({
  document_id: "0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b",
  source_id: 67701,
  spycloud_publish_date: "2024-12-04T00:00:00Z",
  severity: 20,
  ...fields
})

const byType = (objects: ReadonlyArray<StixObject>, type: string) => objects.filter((object) => object.type === type)

describe("mapBreachRecord", () => {
  describe("a record with every observable field (golden)", () => {
    const mapping = mapped(malwareRecord, Option.some(catalog67701))
    const incidentName = "SpyCloud critical alert on grolfson@example.org (6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f)"
    const INCIDENT = idOf("incident", `{"spycloud_document_id":"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"}`)
    const HOSTNAME = idOf("hostname", `{"value":"DESKTOP-QG09M33"}`)
    const DIRECTORY = idOf("directory", `{"path":"C:\\\\Users\\\\LENOVO\\\\Desktop\\\\Adobe Illustrator"}`)
    const FILE = idOf("file", `{"name":"Set-up.exe","parent_directory_ref":"${DIRECTORY}"}`)
    // docs/stix-mapping.md, "Worked examples": #1, #3/#4, #8, #7, #9, #13, #5, #6
    const ACCOUNT = "user-account--bc11eaab-cfd6-5ad8-bf02-2386bf690e12"
    const EMAIL = "email-addr--002fb737-2294-5e72-b0bd-ade3ec5a5aaf"
    const URL = "url--bceb571b-f727-5d33-9b83-1572f100d2af"
    const DOMAIN = "domain-name--f943e301-6c57-5aca-97d5-7cc6805d9a2a"
    const MAC = "mac-addr--85fd9b95-2ff2-585c-8eda-c2c9460b9ca1"
    const USER_AGENT = "user-agent--dc396343-e841-5d5d-87a0-3d53c40c92c7"
    const IPV4 = "ipv4-addr--56d0d09f-3bbe-5a60-b2b2-d8865114ab32"
    const IPV6 = "ipv6-addr--6469e3a9-b053-5e34-a025-9396ae051d26"
    const marked = { object_marking_refs: [MARKING], x_opencti_created_by_ref: AUTHOR }

    it("emits the incident", () => {
      expect(mapping.incidentId).toBe(INCIDENT)
      expect(mapping.documentId).toBe(malwareRecord.document_id)
      expect(mapping.objects[0]).toStrictEqual({
        type: "incident",
        spec_version: "2.1",
        id: INCIDENT,
        created_by_ref: AUTHOR,
        created: "2024-12-04T00:00:00.000Z",
        modified: "2024-12-06T08:00:00.000Z",
        name: incidentName,
        description: expect.stringContaining("| email | grolfson@example.org |"),
        labels: ["breach", "exfiltrated"],
        external_references: [
          { source_name: "SpyCloud", external_id: "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f" },
          {
            source_name: "SpyCloud breach catalog",
            external_id: "67701",
            url: "https://portal.spycloud.com/breach/catalog/8d0edaea-1c5b-4f4e-9d3a-6b7c8d9e0f1a"
          }
        ],
        object_marking_refs: [MARKING],
        first_seen: "2024-11-30T13:45:10.000Z",
        incident_type: "data-breach",
        severity: "critical",
        source: "Telegram Combo Cloudxurl"
      })
    })

    it("emits each observable once, with the official connector's ids where it models the field correctly", () => {
      expect(mapping.objects.slice(1, 1 + mapping.observableCount)).toStrictEqual([
        { type: "hostname", spec_version: "2.1", id: HOSTNAME, value: "DESKTOP-QG09M33", ...marked },
        { type: "user-account", spec_version: "2.1", id: ACCOUNT, account_login: "jdoe", ...marked },
        {
          type: "email-addr",
          spec_version: "2.1",
          id: EMAIL,
          value: "grolfson@example.org",
          display_name: "Greg Rolfson",
          belongs_to_ref: ACCOUNT,
          ...marked
        },
        { type: "url", spec_version: "2.1", id: URL, value: "http://demo.inertiajs.com/users/3/edit", ...marked },
        { type: "domain-name", spec_version: "2.1", id: DOMAIN, value: "demo.inertiajs.com", ...marked },
        { type: "mac-addr", spec_version: "2.1", id: MAC, value: "00:0a:95:9d:68:16", ...marked },
        { type: "user-agent", spec_version: "2.1", id: USER_AGENT, value: IPHONE_USER_AGENT, ...marked },
        { type: "ipv4-addr", spec_version: "2.1", id: IPV4, value: "102.16.50.152", ...marked },
        { type: "ipv6-addr", spec_version: "2.1", id: IPV6, value: "2001:db8::1", ...marked },
        {
          type: "directory",
          spec_version: "2.1",
          id: DIRECTORY,
          path: "C:\\Users\\LENOVO\\Desktop\\Adobe Illustrator",
          ...marked
        },
        {
          type: "file",
          spec_version: "2.1",
          id: FILE,
          name: "Set-up.exe",
          parent_directory_ref: DIRECTORY,
          ...marked
        }
      ])
      expect(mapping.observableCount).toBe(11)
    })

    it("relates every observable to the incident", () => {
      const observableIds = [HOSTNAME, ACCOUNT, EMAIL, URL, DOMAIN, MAC, USER_AGENT, IPV4, IPV6, DIRECTORY, FILE]
      expect(mapping.objects.slice(1 + mapping.observableCount)).toStrictEqual(observableIds.map((source) => ({
        type: "relationship",
        spec_version: "2.1",
        id: idOf(
          "relationship",
          `{"relationship_type":"related-to","source_ref":"${source}","target_ref":"${INCIDENT}"}`
        ),
        created_by_ref: AUTHOR,
        created: "2024-12-04T00:00:00.000Z",
        modified: "2024-12-06T08:00:00.000Z",
        relationship_type: "related-to",
        source_ref: source,
        target_ref: INCIDENT,
        object_marking_refs: [MARKING]
      })))
    })

    it("reports the invalid IP as skipped, without its value", () => {
      expect(mapping.skipped).toStrictEqual([
        { field: "ip_addresses[2]", observable: "ipv4-addr/ipv6-addr", reason: "invalid" }
      ])
      expect(mapping.notes).toStrictEqual([])
    })

    it("describes the record, secrets redacted", () => {
      const description = mapping.objects[0]!.description as string
      expect(description).toContain("**Breach:** Telegram Combo Cloudxurl")
      expect(description).toContain("| keyboard\\_languages | English (United States) \\| French (France) |")
      expect(description).toContain("| password | *redacted (password\\_type plaintext)* |")
      expect(description).not.toContain("Hunter2-Malware")
      expect(tableRows(description)).toHaveLength(Object.keys(malwareRecord).length)
    })
  })

  describe("the incident", () => {
    it("is one per record: records sharing severity, subject and day get distinct ids", () => {
      const first = mapped(record({ email: "a@example.com", document_id: "doc-1" }))
      const second = mapped(record({ email: "a@example.com", document_id: "doc-2" }))
      expect(first.incidentId).not.toBe(second.incidentId)
      expect(first.objects[0]!.name).toBe("SpyCloud high alert on a@example.com (doc-1)")
    })

    it("keeps its id for the same record, and the whole output byte-identical", () => {
      const once = mapped(malwareRecord, Option.some(catalog67701))
      const again = mapped(structuredClone(malwareRecord), Option.some(structuredClone(catalog67701)))
      expect(JSON.stringify(again.objects)).toBe(JSON.stringify(once.objects))
    })

    it("keeps its id when SpyCloud re-scores or unmasks the record (the name changes, the incident does not)", () => {
      const before = mapped(record({ email: "********", username: "jdoe", severity: 5 }))
      const after = mapped(record({ email: "jdoe@example.com", username: "jdoe", severity: 20 }))
      expect(before.objects[0]!.name).toBe("SpyCloud medium alert on jdoe (0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b)")
      expect(after.objects[0]!.name).toBe(
        "SpyCloud high alert on jdoe@example.com (0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b)"
      )
      expect(after.incidentId).toBe(before.incidentId)
      expect(before.incidentId).toBe(
        idOf("incident", `{"spycloud_document_id":"0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b"}`)
      )
    })

    it.each([
      ["email", { email: "a@example.com", username: "u", ip_addresses: ["10.0.0.1"] }, "a@example.com"],
      ["username when there is no email", { username: "u", ip_addresses: ["10.0.0.1"] }, "u"],
      ["the first valid IP", { email: "", username: "********", ip_addresses: ["01.2.3.4", "10.0.0.2"] }, "10.0.0.2"],
      ["an invalid email is still a subject", { email: "not-an-email" }, "not-an-email"]
    ])("names its subject: %s", (_, fields, subject) => {
      expect(mapped(record(fields)).objects[0]!.name).toBe(
        `SpyCloud high alert on ${subject} (0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b)`
      )
    })

    it("falls back to the document id when there is no subject at all", () => {
      const mapping = mapped(record({ email: "********", ip_addresses: [] }))
      expect(mapping.objects[0]!.name).toBe("SpyCloud high alert on record 0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b")
      expect(mapping.objects).toHaveLength(1)
    })

    it("keeps a long subject short and on one line", () => {
      const name = mapped(record({ username: `line\n${"x".repeat(300)}` })).objects[0]!.name as string
      expect(name).toBe(`SpyCloud high alert on record 0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b`)
      const long = mapped(record({ username: "y".repeat(300) })).objects[0]!.name as string
      expect(long).toBe(`SpyCloud high alert on ${"y".repeat(100)}… (0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b)`)
    })

    it.each(
      [
        [2, "low"],
        [5, "medium"],
        [20, "high"],
        [25, "critical"],
        [26, "critical"],
        [30, "critical"]
      ] as const
    )("maps severity %d to %s", (code, severity) => {
      const mapping = mapped(record({ severity: code }))
      expect(mapping.objects[0]).toMatchObject({ severity })
      expect(mapping.notes).toStrictEqual([])
    })

    it("accepts unknown severities and reports them", () => {
      const mapping = mapped(record({ severity: 99 }))
      expect(mapping.objects[0]).toMatchObject({
        severity: "critical",
        name: expect.stringMatching(/^SpyCloud critical/)
      })
      expect(mapping.notes).toStrictEqual(["unknown severity 99 mapped to critical"])
      const none = mapped(record({ severity: undefined }))
      expect(none.objects[0]!.severity).toBeUndefined()
      expect(none.objects[0]!.name).toBe("SpyCloud alert on record 0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b")
    })

    it("takes its times from the record", () => {
      const at = (fields: Record<string, unknown>) => {
        const { created, first_seen, modified } = mapped(record(fields)).objects[0]!
        return { created, first_seen, modified }
      }
      expect(at({ spycloud_publish_date: "2024-12-04T01:00:00.5+01:00" })).toStrictEqual({
        created: "2024-12-04T00:00:00.500Z",
        first_seen: "2024-12-04T00:00:00.500Z",
        modified: "2024-12-04T00:00:00.500Z"
      })
      expect(at({ record_modification_date: "2024-12-01T00:00:00Z", infected_time: "2023-01-02" })).toStrictEqual({
        created: "2024-12-04T00:00:00.000Z",
        first_seen: "2023-01-02T00:00:00.000Z",
        modified: "2024-12-04T00:00:00.000Z"
      })
    })

    it("ignores unusable dates, with a note", () => {
      const mapping = mapped(record({ record_modification_date: "yesterday", infected_time: 12 }))
      expect(mapping.objects[0]).toMatchObject({
        modified: "2024-12-04T00:00:00.000Z",
        first_seen: "2024-12-04T00:00:00.000Z"
      })
      expect(mapping.notes).toStrictEqual([
        "record_modification_date is not an ISO-8601 date; ignored",
        "infected_time is not an ISO-8601 date; ignored"
      ])
    })

    it("has source Unknown, no labels and only its own reference without a catalog", () => {
      const incident = mapped(record({})).objects[0]!
      expect(incident.source).toBe("Unknown")
      expect(incident.labels).toBeUndefined()
      expect(incident.external_references).toStrictEqual([
        { source_name: "SpyCloud", external_id: "0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b" }
      ])
    })

    it("takes lower-case, de-duplicated labels from the catalog and links it only by a real UUID", () => {
      const incident = mapped(
        record({}),
        Option.some({ ...catalog67701, uuid: "n/a", breach_main_category: "Malware ", breach_category: "malware" })
      ).objects[0]!
      expect(incident.labels).toStrictEqual(["malware"])
      expect(incident.external_references).toHaveLength(1)
    })
  })

  describe("observables", () => {
    it("skips empty, masked, invalid and malformed values, never the record", () => {
      const mapping = mapped(record({
        email: "********",
        username: "",
        user_hostname: 42,
        target_url: "www.example.com/login",
        target_domain: "not a domain",
        target_subdomain: ["a.example.com"],
        mac_address: "00:0a:95",
        user_agent: "****",
        ip_addresses: { first: "10.0.0.1" },
        infected_path: "C:\\"
      }))
      expect(mapping.observableCount).toBe(0)
      expect(mapping.skipped).toStrictEqual([
        { field: "user_hostname", observable: "hostname", reason: "malformed" },
        { field: "username", observable: "user-account", reason: "empty" },
        { field: "email", observable: "email-addr", reason: "masked" },
        { field: "target_url", observable: "url", reason: "invalid" },
        { field: "target_domain", observable: "domain-name", reason: "invalid" },
        { field: "target_subdomain", observable: "domain-name", reason: "malformed" },
        { field: "mac_address", observable: "mac-addr", reason: "invalid" },
        { field: "user_agent", observable: "user-agent", reason: "masked" },
        { field: "ip_addresses", observable: "ipv4-addr/ipv6-addr", reason: "malformed" },
        { field: "infected_path", observable: "file", reason: "invalid" }
      ])
    })

    it("keeps the email when the full name is unusable, and links no account without a username", () => {
      const email = byType(mapped(record({ email: "a@example.com", full_name: "" })).objects, "email-addr")
      expect(email).toStrictEqual([expect.not.objectContaining({ display_name: expect.anything() })])
      expect(email[0]!.belongs_to_ref).toBeUndefined()
    })

    it("takes a single IP given as a string, and spells IPv6 addresses as received", () => {
      const ips = (value: unknown) =>
        mapped(record({ ip_addresses: value })).objects.filter((o) => o.type.startsWith("ipv")).map((o) => o.value)
      expect(ips("10.0.0.1")).toStrictEqual(["10.0.0.1"])
      expect(ips(["2001:DB8::1", "::ffff:192.0.2.128", "fe80::1%eth0", "10.0.0.1", "10.0.0.1", null])).toStrictEqual([
        "2001:DB8::1",
        "::ffff:192.0.2.128",
        "fe80::1%eth0",
        "10.0.0.1"
      ])
      expect(byType(mapped(record({ ip_addresses: ["::ffff:192.0.2.128"] })).objects, "ipv6-addr")[0]!.id)
        .toBe("ipv6-addr--6a0f88b7-4f37-53fd-8c75-70d1e733de25")
    })

    it("keeps internationalised domains in Unicode (the official connector's id)", () => {
      const domains = byType(mapped(record({ target_domain: "пример.com" })).objects, "domain-name")
      expect(domains.map((d) => d.id)).toStrictEqual(["domain-name--6575275d-45d6-5912-be3b-72b517ea0e40"])
    })

    it("files a POSIX path under its folder and a bare name under none", () => {
      const posix = mapped(record({ infected_path: "/home/john/.cache/x.bin" })).objects
      expect(byType(posix, "directory")).toMatchObject([
        { id: "directory--788001a8-7f26-5000-8895-7898297b0233", path: "/home/john/.cache" }
      ])
      const bare = mapped(record({ infected_path: "x.bin" })).objects
      expect(byType(bare, "directory")).toStrictEqual([])
      expect(byType(bare, "file")).toMatchObject([{ id: idOf("file", `{"name":"x.bin"}`), name: "x.bin" }])
    })
  })

  describe("records that cannot be mapped", () => {
    it.each([
      ["no document id", { document_id: undefined }, undefined, "the record has no document_id"],
      ["a blank document id", { document_id: "  " }, undefined, "the record has no document_id"],
      [
        "a document id with control characters",
        { document_id: "a\u0000b" },
        undefined,
        "document_id holds control characters"
      ],
      [
        "an unusable publish date",
        { spycloud_publish_date: "soon" },
        "0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b",
        "spycloud_publish_date is not an ISO-8601 date"
      ]
    ])("%s", (_, fields, documentId, reason) => {
      expect(mapBreachRecord(record(fields), Option.none(), context)).toStrictEqual(
        RecordMapping.Unmappable({ documentId, reason })
      )
    })

    it("returns a failure value instead of throwing, and names no value", () => {
      const hostile = new Proxy(record({ password: "TopSecret" }), {
        get: (target, property) => {
          if (property === "email") throw new TypeError("TopSecret")
          return Reflect.get(target, property)
        }
      })
      const mapping = mapBreachRecord(hostile, Option.none(), context)
      expect(mapping).toStrictEqual(RecordMapping.Unmappable({
        documentId: "0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b",
        reason: "unexpected TypeError while mapping the record"
      }))
    })
  })

  describe("sensitive data", () => {
    const secrets = {
      password: "Pw-7f3a9c",
      password_plaintext: "Plain-8d2e41",
      salt: "Salt-5b7c90",
      cc_number: "4111111111111111",
      cc_code: "CVV-9137",
      api_token: "Tok-2a6f3e",
      cookies: ["Cookie-77aa1b", { name: "sid", value: "Cookie-99cc2d" }],
      form_cookies_data: "Cookie-33ee4f"
    }
    const values = [
      "Pw-7f3a9c",
      "Plain-8d2e41",
      "Salt-5b7c90",
      "4111111111111111",
      "CVV-9137",
      "Tok-2a6f3e",
      "Cookie-77aa1b",
      "Cookie-99cc2d",
      "Cookie-33ee4f"
    ]

    it("never leaves the connector by default", () => {
      const output = JSON.stringify(mapped(record({ email: "a@example.com", ...secrets })))
      for (const value of values) expect(output).not.toContain(value)
    })

    it("is in the description with SPYCLOUD_INCLUDE_SENSITIVE_DATA=true", () => {
      const optIn = makeMappingContext({ connectorName: "SpyCloud", tlp: "red", includeSensitiveData: true })
      const output = JSON.stringify(mapped(record({ email: "a@example.com", ...secrets }), Option.none(), optIn))
      for (const value of values) expect(output).toContain(value)
    })
  })
})

describe("credentials in observable values", () => {
  const fields = {
    target_url: "https://zoe:UrlPw10@login.example.com/cb?id=1&password=UrlPw11#access_token=UrlTok12",
    user_agent: "Mozilla/5.0 (X11) Authorization: Bearer UaBearer12345"
  }

  it.each([false, true])("never reach the url or user-agent observable (include sensitive data: %s)", (include) => {
    const ctx = makeMappingContext({ connectorName: "SpyCloud", tlp: "red", includeSensitiveData: include })
    const { objects } = mapped(record(fields), Option.none(), ctx)
    const observables = JSON.stringify(objects.filter((object) => object.type !== "incident"))
    for (const secret of ["UrlPw10", "UrlPw11", "UrlTok12", "UaBearer12345"]) expect(observables).not.toContain(secret)
    expect(byType(objects, "url")).toMatchObject([{ value: "https://login.example.com/cb?id=1" }])
    expect(byType(objects, "user-agent")).toMatchObject([{ value: "Mozilla/5.0 (X11) Authorization: Bearer REDACTED" }])
    // The opt-in restores the description's values, not the observables'.
    const description = JSON.stringify(byType(objects, "incident"))
    expect(description.includes("UrlPw10")).toBe(include)
  })

  it("keep the id of a URL without credentials", () => {
    const { objects } = mapped(record({ target_url: "https://login.example.com/cb?id=1" }))
    expect(byType(objects, "url")[0]!.id).toBe(idOf("url", `{"value":"https://login.example.com/cb?id=1"}`))
  })
})

describeWithShared("mapBreachRecord output against the OASIS STIX 2.1 schemas", () => {
  it("validates for every TLP level", () => {
    for (const tlp of ["white", "green", "amber", "amber+strict", "red"] as const) {
      const ctx = makeMappingContext({ connectorName: "SpyCloud", tlp, includeSensitiveData: true })
      assertValidObjects([ctx.author, ctx.marking, ...mapped(malwareRecord, Option.some(catalog67701), ctx).objects])
    }
  })

  it("validates for records with no subject, masked values and unknown severities", () => {
    assertValidObjects(mapped(record({ severity: 99, email: "********" })).objects)
    assertValidObjects(mapped(record({ severity: undefined })).objects)
  })
})

// Edge input: every field the mapper reads gets text of every kind (unicode, emoji, quotes, backslashes, `|`,
// newlines, masks, IPv6 spellings, IDN domains, Windows and POSIX paths) or any other JSON value, and the
// record gets unknown extra fields of every JSON type.
const edgeText = FastCheck.constantFrom(
  "",
  " ",
  "********",
  "jo****@example.org",
  "a|b",
  "back\\slash",
  "new\nline\r\n",
  "\"quoted\" 'single' `tick`",
  "emoji 😀👩‍💻",
  "ünïcödé ñ",
  "пример.com",
  "user@пример.com",
  "ü@example.com",
  "::ffff:192.0.2.128",
  "2001:DB8::1",
  "fe80::1%eth0",
  "01.2.3.4",
  "10.0.0.1/8",
  "C:\\Users\\LENOVO\\AppData\\Roaming\\a.exe",
  "\\\\server\\share\\x.dll",
  "/home//u/./a.out/",
  "00-0A-95-9D-68-16",
  "000a.959d.6816",
  "https://пример.com/путь?q=a b#x",
  "android://hash@com.app/",
  "<script>alert(1)</script>",
  "\ud800 lone surrogate",
  "x".repeat(2000)
)
const text = FastCheck.oneof(
  edgeText,
  FastCheck.string({ unit: "grapheme" }),
  FastCheck.string({ unit: "binary" }),
  FastCheck.emailAddress(),
  FastCheck.ipV4(),
  FastCheck.ipV6(),
  FastCheck.domain(),
  FastCheck.webUrl()
)
const anyValue = FastCheck.oneof(
  { weight: 5, arbitrary: text },
  { weight: 1, arbitrary: FastCheck.jsonValue() },
  { weight: 1, arbitrary: FastCheck.constant(null) },
  { weight: 1, arbitrary: FastCheck.array(text, { maxLength: 4 }) }
)
const READ_FIELDS = [
  "email",
  "full_name",
  "username",
  "user_hostname",
  "target_url",
  "target_domain",
  "target_subdomain",
  "mac_address",
  "user_agent",
  "ip_addresses",
  "infected_path",
  "infected_time",
  "record_modification_date",
  "password_type"
] as const
const recordArbitrary = FastCheck.record({
  document_id: FastCheck.uuid(),
  source_id: FastCheck.oneof(FastCheck.integer({ min: 1 }), FastCheck.uuid()),
  spycloud_publish_date: FastCheck.date({
    min: new Date("1970-01-01T00:00:00Z"),
    max: new Date("2099-12-31T23:59:59Z"),
    noInvalidDate: true
  }).map((date) => date.toISOString()),
  severity: FastCheck.option(FastCheck.integer({ min: -5, max: 100 }), { nil: undefined }),
  known: FastCheck.record(Object.fromEntries(READ_FIELDS.map((field) => [field, anyValue])), { requiredKeys: [] }),
  extra: FastCheck.dictionary(FastCheck.string({ minLength: 1 }), FastCheck.jsonValue(), { maxKeys: 5 })
}).map(({ extra, known, ...core }): BreachRecord => ({ ...extra, ...known, ...core }))
const catalogArbitrary = FastCheck.option(
  FastCheck.record({
    id: FastCheck.integer({ min: 1 }),
    uuid: FastCheck.oneof(FastCheck.uuid(), text),
    title: FastCheck.oneof(text, FastCheck.constant(null)),
    description: FastCheck.oneof(text, FastCheck.constant(null)),
    breach_main_category: FastCheck.oneof(text, FastCheck.constant(null)),
    breach_category: FastCheck.oneof(text, FastCheck.constant(null))
  }, { requiredKeys: ["id"] }),
  { nil: undefined }
).map(Option.fromNullable)

/** Ids unique, and every reference resolves to the record's objects, the author or the marking. */
const checkIntegrity = (objects: ReadonlyArray<StixObject>) => {
  const ids = new Set(objects.map((object) => object.id))
  expect(ids.size).toBe(objects.length)
  ids.add(context.authorId).add(context.markingId)
  for (const object of objects) {
    for (const [key, value] of Object.entries(object)) {
      const refs = key.endsWith("_ref") ? [value] : key.endsWith("_refs") ? (value as Array<unknown>) : []
      for (const ref of refs) expect(ids.has(ref as string)).toBe(true)
    }
  }
}

describe("mapBreachRecord on edge input", () => {
  it("maps any record with a document id and a publish date, deterministically and consistently", () => {
    FastCheck.assert(
      FastCheck.property(recordArbitrary, catalogArbitrary, (input, catalog) => {
        const mapping = mapped(input, catalog)
        checkIntegrity(mapping.objects)
        expect(mapping.objects).toHaveLength(1 + 2 * mapping.observableCount)
        const rows = tableRows(mapping.objects[0]!.description as string)
        expect(rows).toHaveLength(Object.values(input).filter((value) => value !== undefined && value !== null).length)
        expect(rows.every((row) => row.length === 2)).toBe(true)
        expect(JSON.stringify(mapped(input, catalog).objects)).toBe(JSON.stringify(mapping.objects))
      }),
      { numRuns: 300 }
    )
  })

  it("never throws, whatever the record holds", () => {
    const hostile = FastCheck.dictionary(FastCheck.string(), anyValue).chain((fields) =>
      FastCheck.record({ document_id: anyValue, spycloud_publish_date: anyValue, severity: anyValue }).map((core) =>
        ({ ...fields, ...core }) as unknown as BreachRecord
      )
    )
    FastCheck.assert(
      FastCheck.property(hostile, catalogArbitrary, (input, catalog) => {
        const mapping = mapBreachRecord(input, catalog, context)
        if (mapping._tag === "Mapped") checkIntegrity(mapping.objects)
        else expect(mapping.reason).toMatch(/document_id|spycloud_publish_date/)
      }),
      { numRuns: 300 }
    )
  })

  it("keeps every secret out of the output unless opted in", () => {
    const secret = FastCheck.stringMatching(/^[0-9a-f]{16}$/).map((hex) => `SECRET-${hex}`)
    const optIn = makeMappingContext({ connectorName: "SpyCloud", tlp: "red", includeSensitiveData: true })
    FastCheck.assert(
      FastCheck.property(
        recordArbitrary,
        FastCheck.record({
          password: secret,
          password_plaintext: secret,
          salt: secret,
          cc_number: secret,
          cc_code: secret,
          api_token: secret,
          cookies: FastCheck.array(secret, { minLength: 1, maxLength: 3 }),
          session_cookie: secret
        }),
        (input, secrets) => {
          const values = Object.values(secrets).flat()
          const withSecrets = { ...input, ...secrets }
          const output = JSON.stringify(mapped(withSecrets))
          for (const value of values) expect(output).not.toContain(value)
          const optedIn = JSON.stringify(mapped(withSecrets, Option.none(), optIn))
          for (const value of values) expect(optedIn).toContain(value)
        }
      ),
      { numRuns: 100 }
    )
  })
})

describeWithShared("mapBreachRecord edge output against the OASIS STIX 2.1 schemas", () => {
  it("validates whatever the record holds", () => {
    FastCheck.assert(
      FastCheck.property(recordArbitrary, catalogArbitrary, (input, catalog) => {
        assertValidObjects(mapped(input, catalog).objects)
      }),
      { numRuns: 300 }
    )
  })
})
