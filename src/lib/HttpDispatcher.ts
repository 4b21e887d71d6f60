/**
 * The undici dispatcher of an HTTP client: undici's `EnvHttpProxyAgent` (the maintained implementation of
 * HTTP(S)_PROXY and NO_PROXY, with host suffixes, ports and `*`) over the given proxy settings, or a plain
 * agent when no proxy is set. https URLs go through the proxy in a CONNECT tunnel; http URLs are sent to
 * it in absolute form, as curl and Python's requests do (proxies often allow CONNECT to port 443 only).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Option, Redacted, type Scope } from "effect"
import * as Undici from "undici"
import { displayProxy, type ProxySettings } from "../config/ProxyEnvironment.js"

export interface DispatcherOptions {
  /** Who the client talks to, for the log line naming the proxies (`SpyCloud`, `OpenCTI`). */
  readonly service: string
  /** TCP/TLS connection options towards the server (timeout, certificate checks). */
  readonly connect: Undici.buildConnector.BuildOptions
  readonly proxy: ProxySettings
}

const text = (value: Option.Option<Redacted.Redacted<string>>) =>
  Option.match(value, { onNone: () => "", onSome: Redacted.value })

/** A fresh dispatcher, destroyed with the scope; says which proxies it uses. */
export const make = (options: DispatcherOptions): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.zipRight(
    Option.isSome(options.proxy.httpProxy) || Option.isSome(options.proxy.httpsProxy)
      ? Effect.logInfo(`${options.service} is reached through the proxy variables`).pipe(
        Effect.annotateLogs(describeProxies(options.proxy))
      )
      : Effect.void,
    acquire(options)
  )

const acquire = (options: DispatcherOptions): Effect.Effect<Undici.Dispatcher, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync((): Undici.Dispatcher => {
      const { proxy } = options
      if (Option.isNone(proxy.httpProxy) && Option.isNone(proxy.httpsProxy)) {
        return new Undici.Agent({ connect: options.connect })
      }
      // Empty strings, not undefined: undici would otherwise read the process environment itself.
      return new Undici.EnvHttpProxyAgent({
        httpProxy: text(proxy.httpProxy),
        httpsProxy: text(proxy.httpsProxy),
        noProxy: Option.getOrElse(proxy.noProxy, () => ""),
        proxyTunnel: false,
        connect: options.connect,
        // Through a tunnel, the server's TLS is set up with these options rather than `connect`.
        requestTls: options.connect
      })
    }),
    (dispatcher) => Effect.promise(() => dispatcher.destroy())
  )

/** What a log line may say about the proxies (never their credentials). */
export const describeProxies = (proxy: ProxySettings): Record<string, string> => ({
  ...Option.match(proxy.httpsProxy, { onNone: () => ({}), onSome: (url) => ({ https_proxy: displayProxy(url) }) }),
  ...Option.match(proxy.httpProxy, { onNone: () => ({}), onSome: (url) => ({ http_proxy: displayProxy(url) }) }),
  ...Option.match(proxy.noProxy, { onNone: () => ({}), onSome: (hosts) => ({ no_proxy: hosts }) })
})

/** An @effect/platform HTTP client over such a dispatcher. */
export const httpClientLayer = (options: DispatcherOptions) =>
  NodeHttpClient.layerUndiciWithoutDispatcher.pipe(
    Layer.provide(Layer.scoped(NodeHttpClient.Dispatcher, make(options)))
  )
