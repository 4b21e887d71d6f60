/**
 * What an unsuccessful SpyCloud answer means (docs/spycloud-api.md, "Base URL and authentication" and "Errors and
 * status codes"): a typed error the operator can act on, or a failure that a retry may cure. Pure: the client
 * supplies the status, headers and body.
 */
import type { Duration, Option } from "effect"
import { RetryableFailure } from "./RetryPolicy.js"
import { CursorExpired, Forbidden, QuotaExceeded, Rejected, type SpycloudError } from "./SpycloudError.js"

export interface FailedResponse {
  readonly status: number
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
  /** The parsed `Retry-After`, if any. */
  readonly retryAfter: Option.Option<Duration.Duration>
}

const MAX_DETAIL = 300

const shorten = (text: string): string => {
  const oneLine = text.replace(/\s+/g, " ").trim()
  return oneLine.length > MAX_DETAIL ? `${oneLine.slice(0, MAX_DETAIL)}…` : oneLine
}

/**
 * The message of an error body. SpyCloud documents `{"error", "message"}`; its gateway answers
 * `{"errorType", "errorMessage"}` or `{"message"}`. Falls back to the raw text.
 */
export const errorDetail = (body: string): string => {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === "object" && parsed !== null) {
      const fields = parsed as Record<string, unknown>
      for (const key of ["message", "errorMessage", "error"]) {
        const value = fields[key]
        if (typeof value === "string" && value.trim() !== "") return shorten(value)
      }
    }
  } catch {
    // Not JSON: the text itself is the best detail there is.
  }
  const text = shorten(body)
  return text === "" ? "no details given" : text
}

/** Why SpyCloud refused: the `SpyCloud-Error` header first, then the gateway's entitlement message. */
export const forbiddenReason = (spycloudError: string | undefined, detail: string): Forbidden["reason"] => {
  if (spycloudError !== undefined) {
    if (/invalid ip/i.test(spycloudError)) return "ip-not-allowed"
    if (/invalid api key/i.test(spycloudError)) return "invalid-api-key"
  }
  if (/not authorized to access this resource with an explicit deny/i.test(detail)) return "not-entitled"
  return "unknown"
}

const isRetryableStatus = (status: number) => status === 408 || (status >= 500 && status !== 501 && status !== 505)

/** Classifies any non-200 answer. Nothing here is "end of pages": every answer is an error of some kind. */
export const classifyFailedResponse = (response: FailedResponse): SpycloudError | RetryableFailure => {
  const { body, headers, retryAfter, status } = response
  const detail = errorDetail(body)
  if (status === 401) return new Forbidden({ reason: "invalid-api-key", detail, status })
  if (status === 403) {
    const header = headers["spycloud-error"]
    const reason = forbiddenReason(header, detail)
    return new Forbidden({ reason, detail: header !== undefined && header.trim() !== "" ? shorten(header) : detail })
  }
  if (status === 429) {
    const errorType = headers["x-amzn-errortype"] ?? ""
    if (/LimitExceededException/i.test(errorType)) return new QuotaExceeded({ detail })
    return new RetryableFailure({ reason: "throttled", detail: `HTTP 429: ${detail}`, retryAfter })
  }
  if (status === 400 && /cursor not found/i.test(detail)) return new CursorExpired({ detail })
  if (status === 504) {
    return new RetryableFailure({ reason: "gateway-timeout", detail: `HTTP 504: ${detail}`, retryAfter })
  }
  if (isRetryableStatus(status)) {
    return new RetryableFailure({ reason: "server-error", detail: `HTTP ${status}: ${detail}`, retryAfter })
  }
  return new Rejected({ status, detail })
}
