/**
 * The HTTP stack used for OpenCTI only, with TLS verification as OPENCTI_SSL_VERIFY says (pycti's
 * meaning): `false` (the default) accepts any certificate, `true` verifies against the system CAs (with
 * NODE_EXTRA_CA_CERTS, which Node adds to them), and a path verifies against that CA bundle. It honours
 * the proxy variables like the SpyCloud client (`HttpDispatcher.ts`), each with its own dispatcher, so
 * that turning verification off for OpenCTI never affects SpyCloud.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, Option } from "effect"
import { readFile } from "node:fs/promises"
import { ConnectorConfig } from "../config/ConnectorConfig.js"
import * as ProxyEnvironment from "../config/ProxyEnvironment.js"
import * as HttpDispatcher from "../lib/HttpDispatcher.js"
import { OpenCtiUnreachable } from "./OpenCtiError.js"

export type SslVerify = boolean | string

/** TLS options for a given OPENCTI_SSL_VERIFY. */
export const agentOptions = (
  sslVerify: SslVerify,
  url: string
): Effect.Effect<{ readonly rejectUnauthorized: boolean; readonly ca?: string }, OpenCtiUnreachable> =>
  typeof sslVerify === "boolean"
    ? Effect.succeed({ rejectUnauthorized: sslVerify })
    : Effect.tryPromise({
      try: () => readFile(sslVerify, "utf8"),
      catch: (error) =>
        new OpenCtiUnreachable({
          url,
          operation: "TLS set-up",
          reason: `OPENCTI_SSL_VERIFY names a CA bundle that cannot be read (${sslVerify}): ${(error as Error).message}`
        })
    }).pipe(Effect.map((ca) => ({ rejectUnauthorized: true, ca })))

export const layer = (
  sslVerify: SslVerify,
  url: string,
  proxy: ProxyEnvironment.ProxySettings = ProxyEnvironment.NO_PROXY_SETTINGS
): Layer.Layer<HttpClient.HttpClient, OpenCtiUnreachable> =>
  Layer.unwrapEffect(
    Effect.map(agentOptions(sslVerify, url), (tls) =>
      HttpDispatcher.httpClientLayer({ service: "OpenCTI", connect: tls, proxy }))
  )

export const layerConfig: Layer.Layer<HttpClient.HttpClient, OpenCtiUnreachable, ConnectorConfig> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const settings = yield* ConnectorConfig
    const proxy = yield* ProxyEnvironment.current
    return layer(
      settings.opencti.sslVerify,
      Option.match(settings.opencti.url, { onNone: () => "(no OPENCTI_URL)", onSome: (url) => `${url}/graphql` }),
      proxy
    )
  })
)
