/**
 * What can go wrong when talking to OpenCTI. Each variant says what an administrator should look at;
 * none of them ever holds the token, a custom header value or the raw request (which carries both).
 */
import { Data } from "effect"

/** The platform could not be reached or did not answer in time (network, DNS, TLS, proxy 502/503/504). */
export class OpenCtiUnreachable extends Data.TaggedError("OpenCtiUnreachable")<{
  /** The GraphQL endpoint, without credentials. */
  readonly url: string
  /** The operation that was attempted (e.g. `healthCheck`). */
  readonly operation: string
  readonly reason: string
  /**
   * True when the platform certainly did not process the request (connection refused, unknown host, a
   * proxy's 502/503), so that even a mutation that must not be applied twice can be sent again.
   */
  readonly unprocessed?: boolean
}> {
  override get message() {
    return `OpenCTI API is not reachable at ${this.url} (${this.operation}): ${this.reason}; ` +
      "check that the platform is running, OPENCTI_URL and OPENCTI_SSL_VERIFY"
  }
}

/** The token was refused (`AUTH_REQUIRED`, HTTP 401) or its user lacks a capability (`FORBIDDEN_ACCESS`). */
export class OpenCtiUnauthorized extends Data.TaggedError("OpenCtiUnauthorized")<{
  readonly url: string
  readonly operation: string
  /** The platform's error name (`errors[0].name`), e.g. `AUTH_REQUIRED`. */
  readonly code: string
  readonly reason: string
}> {
  override get message() {
    const hint = this.code === "FORBIDDEN_ACCESS"
      ? "the user of OPENCTI_TOKEN lacks a capability this call needs (give it the Connector role)"
      : "check OPENCTI_TOKEN"
    return `OpenCTI refused the token (${this.code}) for ${this.operation}: ${this.reason}; ${hint}`
  }
}

/** The platform answered with a GraphQL error: its name and message. */
export class OpenCtiGraphqlError extends Data.TaggedError("OpenCtiGraphqlError")<{
  readonly operation: string
  /** The platform's error name (`errors[0].name`, copied from `extensions.code`), e.g. `FUNCTIONAL_ERROR`. */
  readonly code: string
  readonly reason: string
}> {
  override get message() {
    return `OpenCTI rejected ${this.operation} (${this.code}): ${this.reason}`
  }
}

/** The platform answered something that is not the expected GraphQL response. */
export class OpenCtiBadResponse extends Data.TaggedError("OpenCtiBadResponse")<{
  readonly operation: string
  readonly reason: string
}> {
  override get message() {
    return `unexpected answer from OpenCTI to ${this.operation}: ${this.reason}`
  }
}

/**
 * The platform does not know this connector: it was deleted in the UI, or the platform was restored from a
 * backup older than the registration. Registering again fixes it (`Reregistration.ts`).
 */
export class OpenCtiConnectorUnknown extends Data.TaggedError("OpenCtiConnectorUnknown")<{
  readonly operation: string
  readonly connectorId: string
  readonly reason: string
}> {
  override get message() {
    return `OpenCTI does not know connector ${this.connectorId} (${this.operation}): ${this.reason}`
  }
}

export type OpenCtiError =
  | OpenCtiUnreachable
  | OpenCtiUnauthorized
  | OpenCtiGraphqlError
  | OpenCtiBadResponse
  | OpenCtiConnectorUnknown

/** Failures worth retrying: the platform may come back (restart, proxy hiccup). */
export const isTransient = (error: OpenCtiError): boolean => error._tag === "OpenCtiUnreachable"

/** A failure after which the request surely was not applied (safe to repeat any mutation). */
export const isUnprocessed = (error: OpenCtiError): boolean =>
  error._tag === "OpenCtiUnreachable" && error.unprocessed === true
