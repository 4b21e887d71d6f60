/**
 * Every way a SpyCloud call can fail. Each message tells the operator what to do. None of them ever
 * contains the API key, and none is ever turned into "no more pages".
 */
import { Data } from "effect"

/** HTTP 401/403. `reason` comes from the `SpyCloud-Error` header when SpyCloud sends one. */
export class Forbidden extends Data.TaggedError("Forbidden")<{
  readonly reason: "invalid-api-key" | "ip-not-allowed" | "not-entitled" | "unknown"
  readonly detail: string
  /** 403 unless said otherwise (401 is read as an invalid key). */
  readonly status?: number
}> {
  override get message() {
    const status = this.status ?? 403
    switch (this.reason) {
      case "invalid-api-key":
        return `SpyCloud rejected the API key (HTTP ${status}: ${this.detail}); check SPYCLOUD_API_KEY`
      case "ip-not-allowed":
        return `SpyCloud refused this machine's IP address (HTTP ${status}: ${this.detail}); ask SpyCloud to add this ` +
          `host's public IPv4 address to the API key's IP allow-list`
      case "not-entitled":
        return `SpyCloud says the API key is not entitled to this endpoint (HTTP ${status}: ${this.detail}); check the ` +
          `key's products (Enterprise / Employee ATO Prevention) and SPYCLOUD_API_BASE_URL`
      case "unknown":
        return `SpyCloud refused the request (HTTP ${status}: ${this.detail}); check SPYCLOUD_API_KEY, that this host's ` +
          `IPv4 address is on the key's IP allow-list, and SPYCLOUD_API_BASE_URL`
    }
  }
}

/** HTTP 429 with `x-amzn-ErrorType: LimitExceededException`: the key's quota is used up. Not retried. */
export class QuotaExceeded extends Data.TaggedError("QuotaExceeded")<{ readonly detail: string }> {
  override get message() {
    return `SpyCloud API quota exhausted (HTTP 429 LimitExceededException: ${this.detail}); the import resumes ` +
      `where it stopped once the quota is renewed; contact SpyCloud to raise it`
  }
}

/** HTTP 400 "Cursor not found": the page cursor expired; the window must be restarted without it. */
export class CursorExpired extends Data.TaggedError("CursorExpired")<{ readonly detail: string }> {
  override get message() {
    return `SpyCloud page cursor expired (${this.detail})`
  }
}

/** Any other 4xx: the request itself is wrong (a parameter SpyCloud does not accept). Not retried. */
export class Rejected extends Data.TaggedError("Rejected")<{ readonly status: number; readonly detail: string }> {
  override get message() {
    return `SpyCloud rejected the request (HTTP ${this.status}: ${this.detail}); check SPYCLOUD_SEVERITY_LEVELS, ` +
      `SPYCLOUD_WATCHLIST_TYPES and SPYCLOUD_API_BASE_URL`
  }
}

/** The response is not the JSON SpyCloud documents (after retries). */
export class BadResponse extends Data.TaggedError("BadResponse")<{ readonly detail: string }> {
  override get message() {
    return `SpyCloud sent a response that is not valid: ${this.detail}`
  }
}

/**
 * An answer larger than SPYCLOUD_MAX_RESPONSE_MB (after retries). Its body was abandoned as soon as it
 * passed the bound, so a hostile or broken server cannot make the connector buffer it.
 */
export class ResponseTooLarge extends Data.TaggedError("ResponseTooLarge")<{
  readonly limitBytes: number
  readonly attempts: number
}> {
  override get message() {
    return `SpyCloud sent a response larger than ${this.limitBytes} bytes ${this.attempts} time${
      this.attempts === 1 ? "" : "s"
    } in a row; it was not read further (SPYCLOUD_MAX_RESPONSE_MB raises the bound)`
  }
}

/**
 * A request that met HTTP 504 (gateway timeout) and still failed on its last retry: the query is too
 * heavy; the engine splits it. `last` is what the last attempt met when it was not a 504.
 */
export class Timeout extends Data.TaggedError("Timeout")<{ readonly attempts: number; readonly last?: string }> {
  override get message() {
    return this.last === undefined
      ? `SpyCloud timed out (HTTP 504) ${this.attempts} times in a row for the same query`
      : `SpyCloud timed out (HTTP 504) on this query, then failed again (${this.last}; ${this.attempts} attempts)`
  }
}

/** 5xx, throttling (429) or network errors still after every retry. */
export class Unavailable extends Data.TaggedError("Unavailable")<{
  readonly attempts: number
  readonly detail: string
}> {
  override get message() {
    return `SpyCloud is unavailable after ${this.attempts} attempts (${this.detail}); the next pass retries from the ` +
      `last checkpoint`
  }
}

export type SpycloudError =
  | Forbidden
  | QuotaExceeded
  | CursorExpired
  | Rejected
  | BadResponse
  | ResponseTooLarge
  | Timeout
  | Unavailable
