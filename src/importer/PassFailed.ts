import { Data } from "effect"

/**
 * A pass stopped before its end. The checkpoint stays at the last completed window, so the next pass
 * resumes there. `reason` is one line for operators (it is printed by `once` and closes the work).
 */
export class PassFailed extends Data.TaggedError("PassFailed")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message() {
    return this.reason
  }
}
