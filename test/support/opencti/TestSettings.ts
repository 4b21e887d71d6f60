/** The connector's settings for tests, decoded by the real configuration code from an environment. */
import { Effect, Layer } from "effect"
import { makeConfigProvider } from "../../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../../src/config/ConnectorConfig.js"

/** A valid OpenCTI-mode environment; `overrides` win. */
export const openCtiEnv = (
  platform: { readonly url: string; readonly token: string },
  overrides: Readonly<Record<string, string>> = {}
): Record<string, string> => ({
  OPENCTI_URL: platform.url,
  OPENCTI_TOKEN: platform.token,
  CONNECTOR_ID: crypto.randomUUID(),
  SPYCLOUD_API_KEY: "test-api-key",
  ...overrides
})

/** `ConnectorConfig` decoded from `env` (no config file). */
export const configLayer = (env: Readonly<Record<string, string>>): Layer.Layer<ConnectorConfig.ConnectorConfig> =>
  ConnectorConfig.layer.pipe(
    Layer.provide(Layer.setConfigProvider(makeConfigProvider(env, new Map()))),
    Layer.orDie
  )

export const settingsFor = (env: Readonly<Record<string, string>>): Effect.Effect<ConnectorConfig.Settings> =>
  ConnectorConfig.ConnectorConfig.pipe(Effect.provide(configLayer(env)))
