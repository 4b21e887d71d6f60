import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import type { BreachCatalog, BreachRecord } from "../../src/spycloud/BreachRecord.js"
import { describeRecord } from "../../src/stix/Description.js"
import { tableRows, unescapeMarkdown } from "../support/MarkdownTable.js"

const record = (fields: Record<string, unknown>): BreachRecord => ({
  document_id: "0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b",
  source_id: 67701,
  spycloud_publish_date: "2024-12-04T00:00:00Z",
  severity: 20,
  ...fields
})

const catalog: BreachCatalog = {
  id: 67701,
  uuid: "8d0edaea-1c5b-4f4e-9d3a-6b7c8d9e0f1a",
  title: "Telegram Combo Cloudxurl",
  description: "A combo list\nshared on Telegram.",
  breach_main_category: "breach",
  breach_category: "exfiltrated",
  acquisition_date: "2024-11-22T00:00:00Z"
}

const describe_ = (fields: Record<string, unknown>, options: { catalog?: BreachCatalog; sensitive?: boolean } = {}) =>
  describeRecord({
    record: record(fields),
    catalog: Option.fromNullable(options.catalog),
    severity: "high",
    includeSensitiveData: options.sensitive ?? false
  })

describe("describeRecord", () => {
  it("summarises the breach, then tables every field in SpyCloud's order", () => {
    expect(describe_({ email: "grolfson@example.org", ip_addresses: ["102.16.50.152", "2001:db8::1"] }, { catalog }))
      .toBe([
        "**SpyCloud breach record** 0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b · severity: high (20) · published: 2024-12-04T00:00:00Z",
        "",
        "**Breach:** Telegram Combo Cloudxurl · category: breach, exfiltrated · acquired: 2024-11-22T00:00:00Z · breach id: 67701",
        "> A combo list shared on Telegram.",
        "",
        "| Field | Value |",
        "| --- | --- |",
        "| document\\_id | 0f4e2b8c-3a5d-4e6f-9a1b-2c3d4e5f6a7b |",
        "| source\\_id | 67701 |",
        "| spycloud\\_publish\\_date | 2024-12-04T00:00:00Z |",
        "| severity | 20 |",
        "| email | grolfson@example.org |",
        "| ip\\_addresses | 102.16.50.152, 2001:db8::1 |"
      ].join("\n"))
  })

  it("says when the breach is not in the catalog", () => {
    expect(describe_({}).split("\n")[2]).toBe("**Breach:** not in the SpyCloud catalog (breach id 67701)")
  })

  it("renders fields of every JSON type and skips null ones", () => {
    const rows = tableRows(describe_({
      sighting: 3,
      ratio: 1.5,
      verified: false,
      av_softwares: ["Defender", "ESET"],
      nested: { a: [1, { b: null }], c: "d" },
      mixed: ["x", 2, null, ["y"]],
      empty: "",
      nothing: null
    }))
    expect(rows.slice(4).map(([field, value]) => [unescapeMarkdown(field!), unescapeMarkdown(value!)])).toStrictEqual([
      ["sighting", "3"],
      ["ratio", "1.5"],
      ["verified", "false"],
      ["av_softwares", "Defender, ESET"],
      ["nested", "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}"],
      ["mixed", "x, 2, null, [\"y\"]"],
      ["empty", ""]
    ])
  })

  it("keeps Markdown-breaking values and field names inside their cell", () => {
    const value = "en|fr\nde \\ `x` <b>*y*</b>"
    const rows = tableRows(describe_({ keyboard_languages: value, "odd|name\n": "v" }))
    expect(rows.every((row) => row.length === 2)).toBe(true)
    expect(rows.at(-2)).toStrictEqual(["keyboard\\_languages", "en\\|fr<br>de \\\\ \\`x\\` \\<b\\>\\*y\\*\\</b\\>"])
    expect(rows.at(-1)).toStrictEqual(["odd\\|name<br>", "v"])
  })

  it("escapes catalog text too", () => {
    const text = describe_({}, { catalog: { ...catalog, title: "a|b", description: "*x*" } })
    expect(text).toContain("**Breach:** a\\|b ·")
    expect(text).toContain("> \\*x\\*")
  })

  describe("sensitive values", () => {
    const secrets = {
      password: "Hunter2Secret",
      password_type: "bcrypt",
      password_plaintext: "PlainSecret99",
      salt: "SaltValue77",
      cc_number: "4111111111111111",
      cc_code: "737",
      api_token: "TokenValue55",
      cookies: ["CookieOne", "CookieTwo"],
      form_post_data: { user: "u", pass: "FormSecret" },
      empty_secret: ""
    }

    it("are shown as present, with their kind, not their value", () => {
      const text = describe_(secrets)
      const rows = Object.fromEntries(tableRows(text).map(([field, value]) => [unescapeMarkdown(field!), value]))
      expect(rows).toMatchObject({
        password: "*redacted (password\\_type bcrypt)*",
        password_type: "bcrypt",
        password_plaintext: "*redacted*",
        salt: "*redacted*",
        cc_number: "*redacted*",
        cc_code: "*redacted*",
        api_token: "*redacted*",
        cookies: "*redacted (list of 2)*",
        form_post_data: "*redacted (object)*"
      })
      for (
        const secret of ["Hunter2Secret", "PlainSecret99", "SaltValue77", "4111111111111111", "737", "TokenValue55"]
      ) {
        expect(text).not.toContain(secret)
      }
      expect(text).not.toMatch(/Cookie(One|Two)|FormSecret/)
    })

    it("are shown with SPYCLOUD_INCLUDE_SENSITIVE_DATA=true", () => {
      const text = describe_(secrets, { sensitive: true })
      for (const secret of ["Hunter2Secret", "PlainSecret99", "SaltValue77", "4111111111111111", "TokenValue55"]) {
        expect(text).toContain(secret)
      }
      expect(text).toContain("| cc\\_code | 737 |")
      expect(text).toContain("CookieOne, CookieTwo")
      expect(text).not.toContain("redacted")
    })
  })

  describe("secrets the list does not name", () => {
    const hidden = {
      pass: "PassVal01",
      pwd: "PwdVal02",
      pin: "4921",
      otp_seed: "OtpSeed03",
      authorization: "AuthVal04",
      bearer: "BearerVal05",
      jwt: "JwtVal06",
      aws_access_key: "AwsKey07",
      apikey: "ApiKey08",
      extra: { note: "kept", password: "NestedPw09", deeper: [{ cc_number: "4000000000000002" }] },
      cards: [{ cc_number: "5555555555554444", holder: "Zoe" }],
      target_url: "https://zoe:UrlPw10@login.example.com/cb?id=1&token=UrlTok11",
      user_agent: "Mozilla/5.0 Authorization: Bearer UaBearer12345"
    }
    const values = [
      "PassVal01",
      "PwdVal02",
      "4921",
      "OtpSeed03",
      "AuthVal04",
      "BearerVal05",
      "JwtVal06",
      "AwsKey07",
      "ApiKey08",
      "NestedPw09",
      "4000000000000002",
      "5555555555554444",
      "UrlPw10",
      "UrlTok11",
      "UaBearer12345"
    ]

    it("are redacted by key pattern, at any depth, and inside URLs and user agents", () => {
      const text = unescapeMarkdown(describe_(hidden))
      for (const value of values) expect(text).not.toContain(value)
      expect(text).toContain(`{"note":"kept","password":"REDACTED","deeper":[{"cc_number":"REDACTED"}]}`)
      expect(text).toContain(`{"cc_number":"REDACTED","holder":"Zoe"}`)
      expect(text).toContain("https://zoe:REDACTED@login.example.com/cb?id=1&token=REDACTED")
      expect(text).toContain("Bearer REDACTED")
    })

    it("are restored with SPYCLOUD_INCLUDE_SENSITIVE_DATA=true", () => {
      const text = unescapeMarkdown(describe_(hidden, { sensitive: true }))
      for (const value of values) expect(text).toContain(value)
    })

    it("cost bounded work in a value nested 100,000 levels deep or a million items long", () => {
      let deep: unknown = { password: "DeepPw13" }
      for (let level = 0; level < 100_000; level++) deep = { a: deep }
      const text = describe_({ deep, wide: Array.from({ length: 1_000_000 }, (_, i) => ({ i, token: "WideTok14" })) })
      expect(text).not.toContain("DeepPw13")
      expect(text).not.toContain("WideTok14")
      expect(text.length).toBeLessThan(5_000)
      expect(unescapeMarkdown(text)).toContain(`{"a":{"a":`)
    })
  })
})
