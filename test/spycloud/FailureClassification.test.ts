import { describe, expect, it } from "@effect/vitest"
import { Duration, Option } from "effect"
import { classifyFailedResponse, errorDetail, forbiddenReason } from "../../src/spycloud/FailureClassification.js"

const classify = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  retryAfter: Option.Option<Duration.Duration> = Option.none()
) =>
  classifyFailedResponse({
    status,
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    retryAfter
  })

describe("errorDetail", () => {
  it("takes message, then errorMessage, then error", () => {
    expect(errorDetail(JSON.stringify({ error: "BAD_REQUEST", message: "Invalid request" }))).toBe("Invalid request")
    expect(errorDetail(JSON.stringify({ errorType: "BadRequest", errorMessage: "Invalid parameter" })))
      .toBe("Invalid parameter")
    expect(errorDetail(JSON.stringify({ error: "NOT_FOUND" }))).toBe("NOT_FOUND")
  })

  it("falls back to the text, on one line and shortened", () => {
    expect(errorDetail("<html>\n  Bad   gateway\n</html>")).toBe("<html> Bad gateway </html>")
    expect(errorDetail("")).toBe("no details given")
    expect(errorDetail("x".repeat(1000)).length).toBeLessThan(310)
  })
})

describe("forbiddenReason", () => {
  it("reads the SpyCloud-Error header first, then the entitlement message", () => {
    expect(forbiddenReason("Invalid IP: 203.0.113.4", "")).toBe("ip-not-allowed")
    expect(forbiddenReason("Invalid API key", "")).toBe("invalid-api-key")
    expect(forbiddenReason(undefined, "User is not authorized to access this resource with an explicit deny"))
      .toBe("not-entitled")
    expect(forbiddenReason("Something else", "Forbidden")).toBe("unknown")
  })
})

describe("classifyFailedResponse", () => {
  it("tells a quota from throttling on 429", () => {
    expect(classify(429, {}, { "x-amzn-errortype": "LimitExceededException" })._tag).toBe("QuotaExceeded")
    const wait = Option.some(Duration.seconds(3))
    expect(classify(429, {}, { "x-amzn-errortype": "TooManyRequestsException" }, wait)).toMatchObject({
      _tag: "RetryableFailure",
      reason: "throttled",
      retryAfter: wait
    })
    expect(classify(429, {})).toMatchObject({ _tag: "RetryableFailure", reason: "throttled" })
  })

  it("tells an expired cursor from other bad requests", () => {
    expect(classify(400, { errorMessage: "[BadRequest] Invalid parameter: 'cursor'. Cursor not found." })._tag)
      .toBe("CursorExpired")
    expect(classify(400, { message: "Invalid request" })).toMatchObject({ _tag: "Rejected", status: 400 })
    expect(classify(422, { message: "too many matches" })).toMatchObject({ _tag: "Rejected", status: 422 })
  })

  it("retries gateway timeouts, server errors and 408; not 501", () => {
    expect(classify(504, {})).toMatchObject({ _tag: "RetryableFailure", reason: "gateway-timeout" })
    for (const status of [408, 500, 502, 503, 599]) {
      expect(classify(status, {})).toMatchObject({ _tag: "RetryableFailure", reason: "server-error" })
    }
    expect(classify(501, {})).toMatchObject({ _tag: "Rejected", status: 501 })
  })

  it("reads 401 as an invalid key and keeps the SpyCloud-Error text as the 403 detail", () => {
    expect(classify(401, { message: "Unauthorized" })).toMatchObject({ _tag: "Forbidden", reason: "invalid-api-key" })
    expect(classify(403, { message: "Forbidden" }, { "spycloud-error": "Invalid IP 1.2.3.4" })).toMatchObject({
      _tag: "Forbidden",
      reason: "ip-not-allowed",
      detail: "Invalid IP 1.2.3.4"
    })
  })
})
