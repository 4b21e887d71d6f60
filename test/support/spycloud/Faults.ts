/**
 * Misbehaviour the SpyCloud stand-in can be told to show: the failures of docs/spycloud-api.md ("Errors and status
 * codes", "Throttling and quota", "Heavy queries and 504") and a network that breaks. Faults apply to
 * authenticated requests only (a wrong key always gets its 403).
 */
import { sequence as sequentialRandom } from "./SeededRandom.js"

export type FaultKind =
  /** 504 Gateway Timeout. */
  | "504"
  | "500"
  | "502"
  | "503"
  /** 429 TooManyRequestsException with `Retry-After` in seconds. */
  | "throttle"
  /** 429 TooManyRequestsException with `Retry-After` as an HTTP date. */
  | "throttle-date"
  /** 429 LimitExceededException: the quota is used up. */
  | "quota"
  /** The connection is destroyed without an answer. */
  | "reset"
  /** HTTP 200 whose JSON body is cut in the middle. */
  | "truncated"
  /** 400 "Cursor not found" (only for requests that carry a cursor; others are served). */
  | "cursor-expired"
  /** No answer at all until the stand-in stops. */
  | "hang"

export type Endpoint = "watchlist" | "catalog"

/** What a fault decision may look at. */
export interface FaultContext {
  readonly endpoint: Endpoint
  readonly query: Readonly<Record<string, string>>
  readonly hasCursor: boolean
  /** Total matches of a watchlist query (undefined for the catalog). */
  readonly hits: number | undefined
}

export interface Faults {
  /** Faults for the next requests, in order; `"ok"` serves the request normally. Used before `rate`. */
  readonly sequence?: ReadonlyArray<FaultKind | "ok">
  /** Probability (0-1) that a request fails, once the sequence is used up. */
  readonly rate?: number
  /** Kinds drawn (uniformly) for `rate`; default `["504"]`. */
  readonly kinds?: ReadonlyArray<FaultKind>
  /** Seed of the draws, so that a run is reproducible; default 1. */
  readonly seed?: number
  /** Never more than this many faulty answers in a row (a retrying client then always gets through). */
  readonly maxConsecutive?: number
  /** `Retry-After` of throttling answers, in seconds; default 1. */
  readonly retryAfterSeconds?: number
  /** 504 for every first page (no cursor) of a watchlist query matching more records than this. */
  readonly timeoutAboveHits?: number
  /** Endpoints `sequence`, `rate` and `when` apply to; default both. */
  readonly endpoints?: ReadonlyArray<Endpoint>
  /** Refuse every authenticated request with a 403: IP not allow-listed, or the key not entitled. */
  readonly forbidden?: "ip" | "not-entitled"
  /** A decision of the test's own, consulted first; undefined lets the other rules decide. */
  readonly when?: (context: FaultContext) => FaultKind | "ok" | undefined
}

/** Decides, request after request, which fault (if any) to inject. */
export class FaultPlan {
  private position = 0
  private consecutive = 0
  private readonly draw: () => number

  constructor(readonly faults: Faults) {
    this.draw = sequentialRandom(faults.seed ?? 1)
  }

  /** The fault for this request, or undefined to serve it. */
  next(context: FaultContext): FaultKind | undefined {
    const chosen = this.choose(context)
    const applicable = chosen === "cursor-expired" && !context.hasCursor ? undefined : chosen
    this.consecutive = applicable === undefined ? 0 : this.consecutive + 1
    return applicable
  }

  private choose(context: FaultContext): FaultKind | undefined {
    const { faults } = this
    if (
      faults.timeoutAboveHits !== undefined && context.endpoint === "watchlist" && !context.hasCursor &&
      context.hits !== undefined && context.hits > faults.timeoutAboveHits
    ) return "504"
    if (faults.endpoints !== undefined && !faults.endpoints.includes(context.endpoint)) return undefined
    const own = faults.when?.(context)
    if (own !== undefined) return own === "ok" ? undefined : own
    if (faults.sequence !== undefined && this.position < faults.sequence.length) {
      const step = faults.sequence[this.position++]!
      return step === "ok" ? undefined : step
    }
    if (faults.rate === undefined || faults.rate <= 0) return undefined
    if (faults.maxConsecutive !== undefined && this.consecutive >= faults.maxConsecutive) return undefined
    if (this.draw() >= faults.rate) return undefined
    const kinds = faults.kinds ?? ["504"]
    return kinds[Math.floor(this.draw() * kinds.length)]
  }
}
