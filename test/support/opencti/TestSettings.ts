/** The connector's settings for tests, decoded by the real configuration code from an environment. */
import { Context, Effect, Layer } from "effect"
import { makeConfigProvider } from "../../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../../src/config/ConnectorConfig.js"
import * as OpenCtiClient from "../../../src/opencti/OpenCtiClient.js"

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

/**
 * The OpenCTI client configured from `env`, built in the caller's scope: its HTTP dispatcher lives until that
 * scope closes (a client taken out of a narrower `Effect.provide` is already destroyed).
 */
export const clientIn = (env: Readonly<Record<string, string>>) =>
  Layer.build(OpenCtiClient.layerConfig.pipe(Layer.provide(configLayer(env)))).pipe(
    Effect.map(Context.get(OpenCtiClient.OpenCtiClient))
  )
