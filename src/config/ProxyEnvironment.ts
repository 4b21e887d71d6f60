/**
 * The outbound proxy variables, as curl and Python's requests read them: `https_proxy`/`HTTPS_PROXY` for
 * https URLs, `http_proxy`/`HTTP_PROXY` for http URLs (and for https ones when no HTTPS proxy is set),
 * `no_proxy`/`NO_PROXY` for the hosts reached directly; the lower-case form wins, an empty value counts as
 * unset. They are not connector settings: OpenCTI's composer injects them into every container it manages.
 * A proxy URL may carry credentials, so it is kept Redacted and shown only without them.
 */
import { Context, Effect, Option, Redacted } from "effect"
import { ConfigInvalid, type ConfigProblem } from "./ConfigInvalid.js"

export interface ProxySettings {
  readonly httpProxy: Option.Option<Redacted.Redacted<string>>
  readonly httpsProxy: Option.Option<Redacted.Redacted<string>>
  /** Comma- or space-separated hosts (`example.com` also covers its subdomains), `host:port`, or `*`. */
  readonly noProxy: Option.Option<string>
}

export class ProxyEnvironment extends Context.Tag("connector/ProxyEnvironment")<ProxyEnvironment, ProxySettings>() {}

export const NO_PROXY_SETTINGS: ProxySettings = {
  httpProxy: Option.none(),
  httpsProxy: Option.none(),
  noProxy: Option.none()
}

/** The proxy settings the edge provided; none (direct) where it provided none, as in most tests. */
export const current: Effect.Effect<ProxySettings> = Effect.map(
  Effect.serviceOption(ProxyEnvironment),
  Option.getOrElse(() => NO_PROXY_SETTINGS)
)

type Environment = Readonly<Record<string, string | undefined>>

const read = (env: Environment, name: string): Option.Option<string> =>
  Option.orElse(
    Option.filter(Option.fromNullable(env[name.toLowerCase()]?.trim()), (value) => value !== ""),
    () => Option.filter(Option.fromNullable(env[name]?.trim()), (value) => value !== "")
  )

const PROXY_PROTOCOLS = new Set(["http:", "https:"])

/** The proxy URL without user information, for logs and messages. */
export const displayProxy = (url: Redacted.Redacted<string>): string => {
  try {
    const parsed = new URL(Redacted.value(url))
    parsed.username = ""
    parsed.password = ""
    return parsed.toString()
  } catch {
    return "(not a URL)"
  }
}

/** The proxy settings of an environment, or the problems with them (never quoting a value). */
export const fromEnvironment = (env: Environment): Effect.Effect<ProxySettings, ConfigInvalid> => {
  const problems: Array<ConfigProblem> = []
  const proxy = (name: string) =>
    Option.map(read(env, name), (value) => {
      let protocol: string | undefined
      try {
        protocol = new URL(value).protocol
      } catch {
        protocol = undefined
      }
      if (protocol === undefined || !PROXY_PROTOCOLS.has(protocol)) {
        problems.push({
          subject: `${name.toLowerCase()} / ${name}`,
          message: "must be an http:// or https:// proxy URL, e.g. http://user:password@proxy.example:3128"
        })
      }
      return Redacted.make(value)
    })
  const settings: ProxySettings = {
    httpProxy: proxy("HTTP_PROXY"),
    httpsProxy: proxy("HTTPS_PROXY"),
    noProxy: read(env, "NO_PROXY")
  }
  return problems.length > 0 ? Effect.fail(new ConfigInvalid({ problems })) : Effect.succeed(settings)
}
