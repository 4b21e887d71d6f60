/**
 * `connector_info`, sent with every ping (docs/opencti-protocol.md, "connector_info"): what the platform shows
 * about the scheduler. The scheduler updates the `ConnectorInfo` Ref; the ping reads it.
 */
import { Context, DateTime, Duration, Effect, Layer, Option, Ref } from "effect"
import { ConnectorConfig } from "../config/ConnectorConfig.js"

export interface ConnectorInfoData {
  readonly runAndTerminate: boolean
  /** True while passes are skipped because the push queue is over the threshold. */
  readonly buffering: boolean
  /** CONNECTOR_QUEUE_THRESHOLD, in MB. */
  readonly queueThreshold: number
  /** The push queue's size in MB (bytes / 1,000,000) at the last check. */
  readonly queueMessagesSize: number
  readonly nextRunDatetime: Option.Option<DateTime.Utc>
  readonly lastRunDatetime: Option.Option<DateTime.Utc>
}

/** What pycti starts from, before the first queue check. */
export const INITIAL_CONNECTOR_INFO: ConnectorInfoData = {
  runAndTerminate: false,
  buffering: false,
  queueThreshold: 500,
  queueMessagesSize: 0,
  nextRunDatetime: Option.none(),
  lastRunDatetime: Option.none()
}

/** The variables shape of `ConnectorInfoInput`. */
export interface ConnectorInfoInput {
  readonly run_and_terminate: boolean
  readonly buffering: boolean
  readonly queue_threshold: number
  readonly queue_messages_size: number
  readonly next_run_datetime: string | null
  readonly last_run_datetime: string | null
}

/** pycti's format for run datetimes: UTC, whole seconds, `YYYY-MM-DDTHH:MM:SSZ`. */
export const formatRunDatetime = (instant: DateTime.Utc): string => DateTime.formatIso(instant).replace(/\.\d+Z$/, "Z")

export const toConnectorInfoInput = (info: ConnectorInfoData): ConnectorInfoInput => ({
  run_and_terminate: info.runAndTerminate,
  buffering: info.buffering,
  queue_threshold: info.queueThreshold,
  queue_messages_size: info.queueMessagesSize,
  next_run_datetime: Option.getOrNull(Option.map(info.nextRunDatetime, formatRunDatetime)),
  last_run_datetime: Option.getOrNull(Option.map(info.lastRunDatetime, formatRunDatetime))
})

/** The shared, mutable connector_info: the scheduler writes it, pings read it. */
export class ConnectorInfo
  extends Context.Tag("connector/ConnectorInfo")<ConnectorInfo, Ref.Ref<ConnectorInfoData>>()
{}

/** A fresh connector_info, starting from pycti's initial values with the configured threshold. */
export const layer = (options: { readonly queueThreshold: number; readonly runAndTerminate: boolean }) =>
  Layer.effect(
    ConnectorInfo,
    Ref.make<ConnectorInfoData>({
      ...INITIAL_CONNECTOR_INFO,
      queueThreshold: options.queueThreshold,
      runAndTerminate: options.runAndTerminate
    })
  )

/**
 * connector_info from the configuration: the threshold, and run-and-terminate when
 * CONNECTOR_RUN_AND_TERMINATE is true or the period is zero (pycti's rule). The `once` command should
 * use `layer` with `runAndTerminate: true` instead.
 */
export const layerConfig: Layer.Layer<ConnectorInfo, never, ConnectorConfig> = Layer.unwrapEffect(
  Effect.map(ConnectorConfig, (settings) =>
    layer({
      queueThreshold: settings.connector.queueThreshold,
      runAndTerminate: settings.connector.runAndTerminate || Duration.toMillis(settings.connector.durationPeriod) < 1000
    }))
)
