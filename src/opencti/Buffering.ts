/**
 * pycti's queue-threshold check (docs/opencti-protocol.md, "Queue threshold"): the push queue's size as the
 * platform reports it, in MB (bytes / 1,000,000), against CONNECTOR_QUEUE_THRESHOLD. The result is written into
 * connector_info, so the next ping shows it; the scheduler skips a pass while `buffering` is true.
 */
import { Effect, Ref } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import { ConnectorInfo } from "./ConnectorInfo.js"
import { OpenCtiClient } from "./OpenCtiClient.js"
import type { OpenCtiError } from "./OpenCtiError.js"

export interface BufferingCheck {
  /** True when the queue is at or over the threshold: the pass should be skipped. */
  readonly buffering: boolean
  /** MB. */
  readonly queueMessagesSize: number
  /** MB. */
  readonly queueThreshold: number
}

export const checkBuffering: Effect.Effect<
  BufferingCheck,
  OpenCtiError,
  OpenCtiClient | ConnectorInfo | ConnectorConfig
> = Effect.gen(function*() {
  const client = yield* OpenCtiClient
  const info = yield* ConnectorInfo
  const settings = yield* ConnectorConfig
  const queue = yield* client.connectorQueue
  const check: BufferingCheck = {
    queueMessagesSize: queue.messagesSize / 1_000_000,
    queueThreshold: settings.connector.queueThreshold,
    buffering: queue.messagesSize / 1_000_000 >= settings.connector.queueThreshold
  }
  yield* Ref.update(info, (current) => ({ ...current, ...check }))
  if (check.buffering) {
    yield* Effect.logInfo("Connector will not run until the queue messages size is reduced under queue threshold")
      .pipe(
        Effect.annotateLogs({
          queue_messages_size_mb: check.queueMessagesSize,
          queue_threshold_mb: check.queueThreshold
        })
      )
  }
  return check
})
