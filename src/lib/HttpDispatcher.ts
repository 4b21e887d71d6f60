/**
 * The HTTP client of one service (SpyCloud, OpenCTI) over its own undici dispatcher: undici's
 * `EnvHttpProxyAgent` (the maintained implementation of HTTP(S)_PROXY and NO_PROXY, with host suffixes,
 * ports and `*`) over the given proxy settings, or a plain agent when no proxy is set. https URLs go
 * through the proxy in a CONNECT tunnel; http URLs are sent to it in absolute form, as curl and Python's
 * requests do (proxies often allow CONNECT to port 443 only).
 *
 * The dispatcher lives as long as the layer that built it (the command's application layer) and is
 * destroyed when that layer is released; a client used after that fails with "The client is destroyed".
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import * as Undici from "undici"
import { displayProxy, type ProxySettings } from "../config/ProxyEnvironment.js"

export interface DispatcherOptions {
  /** Who the client talks to, for the log line naming the proxies (`SpyCloud`, `OpenCTI`). */
  readonly service: string
  /** TCP and TLS options towards the server: connect timeout, certificate checks (`ca`, `rejectUnauthorized`). */
  readonly connect: Undici.buildConnector.BuildOptions
  readonly proxy: ProxySettings
}

const text = (value: Option.Option<Redacted.Redacted<string>>) =>
  Option.match(value, { onNone: () => "", onSome: Redacted.value })

export const usesProxy = (proxy: ProxySettings): boolean =>
  Option.isSome(proxy.httpProxy) || Option.isSome(proxy.httpsProxy)

const newDispatcher = (options: DispatcherOptions): Undici.Dispatcher => {
  const { connect, proxy } = options
  if (!usesProxy(proxy)) return new Undici.Agent({ connect })
  return new Undici.EnvHttpProxyAgent({
    // Empty strings, not undefined: undici would otherwise read the process environment itself.
    httpProxy: text(proxy.httpProxy),
    httpsProxy: text(proxy.httpsProxy),
    noProxy: Option.getOrElse(proxy.noProxy, () => ""),
    proxyTunnel: false,
    // Hosts in NO_PROXY: a direct connection with these options.
    connect,
    // Through a tunnel, undici sets up the server's TLS with `requestTls` and ignores `connect`: the
    // same trust settings, or OPENCTI_SSL_VERIFY would not apply behind a proxy.
    requestTls: connect,
    // The connection to the proxy itself: the connect timeout, and the default trust (system CAs and
    // NODE_EXTRA_CA_CERTS) for an https:// proxy, whatever the server's verification setting.
    ...(connect.timeout === undefined ? {} : { proxyTls: { timeout: connect.timeout } })
  })
}

/** A fresh dispatcher, destroyed with the scope; says which proxies it uses. */
export const make = (options: DispatcherOptions): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.zipRight(
    usesProxy(options.proxy)
      ? Effect.logInfo(`${options.service} is reached through the proxy variables`).pipe(
        Effect.annotateLogs(describeProxies(options.proxy))
      )
      : Effect.void,
    Effect.acquireRelease(
      Effect.sync(() => newDispatcher(options)),
      (dispatcher) => Effect.promise(() => dispatcher.destroy())
    )
  )

/** What a log line or `check` may say about the proxies (never their credentials). */
export const describeProxies = (proxy: ProxySettings): Record<string, string> => ({
  ...Option.match(proxy.httpsProxy, { onNone: () => ({}), onSome: (url) => ({ https_proxy: displayProxy(url) }) }),
  ...Option.match(proxy.httpProxy, { onNone: () => ({}), onSome: (url) => ({ http_proxy: displayProxy(url) }) }),
  ...Option.match(proxy.noProxy, { onNone: () => ({}), onSome: (hosts) => ({ no_proxy: hosts }) })
})

/**
 * An @effect/platform HTTP client over such a dispatcher. Built from the dispatcher directly rather than
 * by providing it to `NodeHttpClient.layerUndiciWithoutDispatcher`: layers are memoized by reference, so
 * two clients built from that one shared layer in the same application layer would both get the
 * dispatcher of whichever was built first (OpenCTI's TLS settings on SpyCloud, or the reverse).
 */
export const httpClientLayer = (options: DispatcherOptions): Layer.Layer<HttpClient.HttpClient> =>
  Layer.scoped(HttpClient.HttpClient, Effect.map(make(options), NodeHttpClient.makeUndici))
