import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Ref } from "effect"
import * as ConnectorInfo from "../../src/opencti/ConnectorInfo.js"
import { configLayer } from "../support/opencti/TestSettings.js"

const OFFLINE = {
  CONNECTOR_ID: "c",
  CONNECTOR_SEND_TO_QUEUE: "false",
  CONNECTOR_SEND_TO_DIRECTORY: "true",
  CONNECTOR_SEND_TO_DIRECTORY_PATH: "/tmp/unused",
  SPYCLOUD_API_KEY: "k"
}

const infoFor = (env: Record<string, string>) =>
  Effect.flatMap(ConnectorInfo.ConnectorInfo, Ref.get).pipe(
    Effect.provide(ConnectorInfo.layerConfig),
    Effect.provide(configLayer({ ...OFFLINE, ...env }))
  )

describe("connector_info", () => {
  it("formats run datetimes as pycti does: UTC, whole seconds", () => {
    expect(ConnectorInfo.formatRunDatetime(DateTime.unsafeMake("2025-06-07T08:09:10.999Z"))).toBe(
      "2025-06-07T08:09:10Z"
    )
    expect(ConnectorInfo.formatRunDatetime(DateTime.unsafeMake("2025-06-07T08:09:10Z"))).toBe("2025-06-07T08:09:10Z")
  })

  it("becomes ConnectorInfoInput with nulls for unknown run datetimes", () => {
    expect(ConnectorInfo.toConnectorInfoInput(ConnectorInfo.INITIAL_CONNECTOR_INFO)).toEqual({
      run_and_terminate: false,
      buffering: false,
      queue_threshold: 500,
      queue_messages_size: 0,
      next_run_datetime: null,
      last_run_datetime: null
    })
  })

  it.effect("starts from the configured threshold; run-and-terminate from the setting or a zero period", () =>
    Effect.gen(function*() {
      expect(yield* infoFor({ CONNECTOR_QUEUE_THRESHOLD: "120" })).toEqual({
        ...ConnectorInfo.INITIAL_CONNECTOR_INFO,
        queueThreshold: 120
      })
      expect((yield* infoFor({ CONNECTOR_RUN_AND_TERMINATE: "true" })).runAndTerminate).toBe(true)
      expect((yield* infoFor({ CONNECTOR_DURATION_PERIOD: "0" })).runAndTerminate).toBe(true)
      expect((yield* infoFor({ CONNECTOR_DURATION_PERIOD: "PT5M" })).runAndTerminate).toBe(false)
    }))
})
