/**
 * Hostile SpyCloud answers against the built binary (issue 14): bodies nested thousands of levels deep, huge
 * fields and pages, bodies that are not JSON or not UTF-8, numbers beyond a double, `__proto__` keys, echoed
 * keys, and secrets under keys no list names. After each, the pass ends cleanly, the good records around the
 * hostile one arrived, and no secret is in any output: bundles, state, stdout, stderr (Markdown escapes undone).
 */
import { describe, expect, it } from "@effect/vitest"
import { randomBytes } from "node:crypto"
import { readdirSync, readFileSync, statSync } from "node:fs"
import type { ServerResponse } from "node:http"
import { join } from "node:path"
import { recordIncidentId } from "../../src/stix/StixId.js"
import { runBinary } from "../support/Binary.js"
import { occurrences, readBundles, tempDirectory } from "../support/OfflineOutput.js"
import { type HostileAnswer, startHostileSpycloud, type WatchlistAsk } from "../support/spycloud/HostileSpycloud.js"

const PUBLISHED = new Date(Date.now() - 3_600_000).toISOString()

const record = (id: string, extra: Record<string, unknown> = {}) => ({
  document_id: id,
  source_id: 5001,
  spycloud_publish_date: PUBLISHED,
  severity: 20,
  email: `${id}@example.org`,
  ...extra
})

const GOOD_FIRST = record("good-first")
const GOOD_NEXT = record("good-next")

/** A watchlist page as JSON text, with `{{name}}` markers replaced by raw JSON text afterwards. */
const pageText = (results: ReadonlyArray<unknown>, cursor: string, raw: Record<string, string> = {}) => {
  let text = JSON.stringify({ cursor, hits: results.length + 1, results })
  for (const [name, value] of Object.entries(raw)) text = text.split(JSON.stringify(`{{${name}}}`)).join(value)
  return text
}

const DEPTH = 5_000
const deepArray = "[".repeat(DEPTH) + "]".repeat(DEPTH)
const deepObject = "{\"a\":".repeat(DEPTH) + "1" + "}".repeat(DEPTH)

/**
 * The usual two pages: the first holds `hostile` records and a good one and points at the second, which
 * holds another good one. `firstAttempt`, when given, is what the first request for the first page gets.
 */
const twoPages = (options: {
  readonly hostile?: ReadonlyArray<unknown>
  readonly raw?: Record<string, string>
  readonly firstAttempts?: ReadonlyArray<HostileAnswer>
}) =>
({ attempt, cursor }: WatchlistAsk): HostileAnswer => {
  if (cursor === "next") return { body: pageText([GOOD_NEXT], "") }
  const early = options.firstAttempts?.[attempt - 1]
  if (early !== undefined) return early
  return { body: pageText([...(options.hostile ?? []), GOOD_FIRST], "next", options.raw) }
}

/** Streams a page of `count` tiny records, honouring back-pressure, until done or the client hangs up. */
const streamedPage = (count: number) => (response: ServerResponse) => {
  let written = 0
  const chunk = Array.from({ length: 10_000 }, (_, index) => `{"document_id":"flood-${index}"}`).join(",")
  const writeMore = () => {
    while (written < count && !response.destroyed) {
      const prefix = written === 0 ? "{\"cursor\":\"\",\"hits\":1000000,\"results\":[" : ","
      written += 10_000
      if (!response.write(prefix + chunk)) return void response.once("drain", writeMore)
    }
    if (!response.destroyed) response.end("]}")
  }
  response.on("close", () => (written = count))
  writeMore()
}

interface CaseRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly directory: string
  /** Every output as text: stdout, stderr, each file the run left. */
  readonly outputs: ReadonlyArray<readonly [string, string]>
}

const runCase = async (
  apiKey: string,
  watchlist: (ask: WatchlistAsk) => HostileAnswer,
  env: Record<string, string> = {}
): Promise<CaseRun> => {
  const server = await startHostileSpycloud({ apiKey, watchlist })
  const directory = tempDirectory("hostile")
  try {
    const result = await runBinary(["once"], {
      env: {
        CONNECTOR_ID: "a3b5c7d9-0000-4000-8000-0000000000bb",
        CONNECTOR_SEND_TO_QUEUE: "false",
        CONNECTOR_SEND_TO_DIRECTORY: "true",
        CONNECTOR_SEND_TO_DIRECTORY_PATH: directory,
        SPYCLOUD_API_KEY: apiKey,
        SPYCLOUD_API_BASE_URL: server.baseUrl,
        SPYCLOUD_IMPORT_START_DATE: "P1D",
        SPYCLOUD_SYNC_MODIFIED_RECORDS: "false",
        SPYCLOUD_MAX_RETRIES: "3",
        SPYCLOUD_RETRY_INITIAL_DELAY: "PT0.01S",
        SPYCLOUD_RETRY_MAX_DELAY: "PT0.05S",
        ...env
      }
    })
    const files = readdirSync(directory).map((name) => join(directory, name))
    const outputs: Array<readonly [string, string]> = [
      ["stdout", result.stdout],
      ["stderr", result.stderr],
      ...files.filter((file) => statSync(file).isFile()).map((file) => [file, readFileSync(file, "utf8")] as const)
    ]
    return { ...result, directory, outputs }
  } finally {
    await server.stop()
  }
}

/** The pass ended cleanly, with the summary on stdout and every good record's incident in the bundles. */
const expectCleanPass = (run: CaseRun, documentIds: ReadonlyArray<string> = ["good-first", "good-next"]) => {
  expect(run.code, run.stderr.slice(-4000)).toBe(0)
  expect(run.stdout).toContain("SpyCloud import pass finished")
  const incidents = occurrences(readBundles(run.directory), "incident")
  for (const id of documentIds) expect(incidents.has(recordIncidentId(id)), `incident of ${id}`).toBe(true)
}

/** No secret in any output, as written or with Markdown's backslash escapes undone. */
const expectNoSecret = (run: CaseRun, secrets: ReadonlyArray<string>) => {
  for (const [where, text] of run.outputs) {
    const unescaped = text.replace(/\\\\/g, "\\").replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, "$1")
    for (const secret of secrets) {
      expect(text.includes(secret), `${secret} in ${where}`).toBe(false)
      expect(unescaped.includes(secret), `${secret} in ${where} (unescaped)`).toBe(false)
    }
  }
}

const newKey = () => `sk-hostile-${randomBytes(8).toString("hex")}`

describe.concurrent("hostile SpyCloud answers (built binary)", { timeout: 120_000 }, () => {
  it("a document_id, a cursor or a nested field nested 5000 levels deep", async () => {
    const apiKey = newKey()
    const deepRecords = await runCase(
      apiKey,
      twoPages({
        hostile: [
          record("deep-id", { document_id: "{{deep}}" }),
          record("deep-field", { extra: "{{deepObject}}", ip_addresses: "{{deep}}" })
        ],
        raw: { deep: deepArray, deepObject },
        firstAttempts: [{ body: pageText([GOOD_FIRST], "{{deep}}", { deep: deepObject }) }]
      })
    )
    expectCleanPass(deepRecords, ["good-first", "good-next", "deep-field"])
    expect(deepRecords.stderr).toContain("Skipped a breach record that cannot be decoded")
    expectNoSecret(deepRecords, [apiKey])
  })

  it("a 50 MB field is left out of the observables, logged with the document_id; the record still arrives", async () => {
    const apiKey = newKey()
    const run = await runCase(
      apiKey,
      twoPages({ hostile: [record("huge-field", { user_agent: "A".repeat(50 * 1024 * 1024) })] })
    )
    expectCleanPass(run, ["good-first", "good-next", "huge-field"])
    const warning = run.stderr.split("\n").find((line) => line.includes("Left out a value too long"))
    expect(warning).toContain("huge-field")
    expect(warning).toContain("user_agent")
    for (const [, text] of run.outputs) expect(text.length).toBeLessThan(1024 * 1024)
    expect(run.stdout).toMatch(/user_agent: oversize/)
  })

  it("a page of 10^6 records over SPYCLOUD_MAX_RESPONSE_MB is abandoned and retried", async () => {
    const apiKey = newKey()
    const run = await runCase(
      apiKey,
      twoPages({ firstAttempts: [{ body: streamedPage(1_000_000) }] }),
      { SPYCLOUD_MAX_RESPONSE_MB: "4", CONNECTOR_LOG_LEVEL: "debug" }
    )
    expectCleanPass(run)
    expect(run.stderr).toMatch(/"reason":"too-large"/)
    expect(run.stderr).toContain("larger than 4194304 bytes")
  })

  it("a page of 10^6 records that SpyCloud keeps sending fails the pass with a one-line reason", async () => {
    const run = await runCase(newKey(), () => ({ body: streamedPage(1_000_000) }), {
      SPYCLOUD_MAX_RESPONSE_MB: "4",
      SPYCLOUD_MAX_RETRIES: "1"
    })
    expect(run.code).toBe(1)
    const reason = run.stderr.trim().split("\n").at(-1)!
    expect(reason).toMatch(/^once failed: .*larger than 4194304 bytes/)
  })

  it("bodies that are not JSON, or not UTF-8, are retried; invalid UTF-8 inside a value is survived", async () => {
    const apiKey = newKey()
    const inside = Buffer.concat([
      Buffer.from(
        pageText([record("bad-utf8", { full_name: "{{bytes}}" }), GOOD_FIRST], "next").split("\"{{bytes}}\"")[0]!
      ),
      Buffer.from([0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22]),
      Buffer.from(
        pageText([record("bad-utf8", { full_name: "{{bytes}}" }), GOOD_FIRST], "next").split("\"{{bytes}}\"")[1]!
      )
    ])
    const run = await runCase(
      apiKey,
      ({ attempt, cursor }) => {
        if (cursor === "next") return { body: pageText([GOOD_NEXT], "") }
        if (attempt === 1) return { body: "<html><body>502 Bad Gateway</body></html>" }
        if (attempt === 2) return { body: Buffer.from([0xff, 0xfe, 0x7b, 0x80, 0x81, 0x7d]) }
        return { body: inside }
      }
    )
    expectCleanPass(run, ["good-first", "good-next", "bad-utf8"])
    expectNoSecret(run, [apiKey])
  })

  it("numbers like 1e400 and -1e400, in fields and in hits", async () => {
    const hostile = record("huge-number", { severity: "{{big}}", infected_time: "{{big}}", extra: { n: "{{small}}" } })
    const run = await runCase(newKey(), ({ cursor }) => ({
      body: cursor === "next"
        ? pageText([GOOD_NEXT], "").replace(/"hits":\d+/, "\"hits\":1e400")
        : pageText([hostile, GOOD_FIRST], "next", { big: "1e400", small: "-1e400" })
    }))
    expectCleanPass(run)
    // An infinite severity does not decode: that record is skipped and logged with its id, or mapped without it.
    const incidents = occurrences(readBundles(run.directory), "incident")
    if (!incidents.has(recordIncidentId("huge-number"))) {
      expect(run.stderr).toMatch(/Skipped a breach record that cannot be decoded.*"document_id":"huge-number"/)
    }
  })

  it("__proto__ and constructor keys, at the top of a record and nested", async () => {
    const run = await runCase(
      newKey(),
      twoPages({
        hostile: [record("proto-keys", { extra: "{{nested}}" })],
        raw: {
          nested: "{\"__proto__\":{\"polluted\":\"nested\"},\"constructor\":{\"prototype\":{\"polluted\":\"nested\"}}}"
        }
      })
    )
    expectCleanPass(run, ["good-first", "good-next", "proto-keys"])
    const poisoned = await runCase(newKey(), ({ cursor }) => {
      if (cursor === "next") return { body: pageText([GOOD_NEXT], "") }
      const text = pageText([GOOD_FIRST], "next").replace(
        "{\"document_id\":\"good-first\"",
        "{\"__proto__\":{\"document_id\":\"evil\",\"severity\":30},\"constructor\":{\"name\":\"x\"},\"document_id\":\"good-first\""
      )
      return { body: text }
    })
    expectCleanPass(poisoned)
    expect(occurrences(readBundles(poisoned.directory), "incident").has(recordIncidentId("evil"))).toBe(false)
  })

  it("an answer that echoes the API key, in a 5xx body and header, in a body that is not JSON, and in a record", async () => {
    const apiKey = newKey()
    const run = await runCase(
      apiKey,
      twoPages({
        hostile: [
          record("echo", { user_agent: `curl/8.0 ${apiKey}`, extra: { key: apiKey, url: `https://x.io/?k=${apiKey}` } })
        ],
        firstAttempts: [
          { status: 500, headers: { "x-echo": apiKey }, body: JSON.stringify({ message: `bad key ${apiKey}` }) },
          { body: `not json: X-API-KEY: ${apiKey}` },
          { status: 403, headers: { "spycloud-error": `Invalid IP for ${apiKey}` }, body: `{"message":"${apiKey}"` }
        ]
      })
    )
    // A 403 is final: the pass stops with a one-line reason, without the key.
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split("\n").at(-1)).toMatch(/^once failed: .*SpyCloud refused this machine's IP address/)
    expectNoSecret(run, [apiKey])

    const echoed = await runCase(
      apiKey,
      twoPages({
        hostile: [record("echo", { user_agent: `curl/8.0 ${apiKey}`, extra: { key: apiKey } })],
        firstAttempts: [
          { status: 500, headers: { "x-echo": apiKey }, body: JSON.stringify({ message: `bad key ${apiKey}` }) },
          { body: `not json: X-API-KEY: ${apiKey}` }
        ]
      }),
      { CONNECTOR_LOG_LEVEL: "debug", SPYCLOUD_INCLUDE_SENSITIVE_DATA: "true" }
    )
    expectCleanPass(echoed, ["good-first", "good-next", "echo"])
    expectNoSecret(echoed, [apiKey])
  })

  it("secrets under keys no list names, nested in objects and lists, in URLs and in the user agent", async () => {
    const secret = (name: string) => `Zq${name}${randomBytes(6).toString("hex")}`
    const values = {
      pass: secret("pass"),
      pwd: secret("pwd"),
      pin: secret("pin"),
      otp_seed: secret("otp"),
      authorization: secret("auth"),
      bearer: secret("bearer"),
      jwt: secret("jwt"),
      aws_access_key: secret("aws"),
      apikey: secret("apikey")
    }
    const nested = secret("nested")
    const card = secret("card")
    const userinfo = secret("userinfo")
    const query = secret("query")
    const token = secret("token")
    const agent = secret("agent")
    const hostile = record("secrets", {
      ...values,
      extra: { password: nested },
      cards: [{ cc_number: card }],
      target_url: `https://bob:${userinfo}@login.example.org/sign-in?password=${query}&token=${token}`,
      user_agent: `Mozilla/5.0 (X11) Authorization: Bearer ${agent}`
    })
    const all = [...Object.values(values), nested, card, userinfo, query, token, agent]
    const apiKey = newKey()
    const run = await runCase(apiKey, twoPages({ hostile: [hostile] }), { CONNECTOR_LOG_LEVEL: "debug" })
    expectCleanPass(run, ["good-first", "good-next", "secrets"])
    expectNoSecret(run, [...all, apiKey])

    // SPYCLOUD_INCLUDE_SENSITIVE_DATA=true restores the description's values, never URL credentials in observables.
    const sensitive = await runCase(apiKey, twoPages({ hostile: [hostile] }), {
      SPYCLOUD_INCLUDE_SENSITIVE_DATA: "true"
    })
    expectCleanPass(sensitive, ["good-first", "good-next", "secrets"])
    const urls = readBundles(sensitive.directory).flatMap((bundle) => bundle.objects).filter((o) => o.type === "url")
    expect(urls.length).toBeGreaterThan(0)
    for (const url of urls) {
      for (const value of [userinfo, query, token]) expect(JSON.stringify(url)).not.toContain(value)
    }
  })
})
