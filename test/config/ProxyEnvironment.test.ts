import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option, Redacted } from "effect"
import * as ProxyEnvironment from "../../src/config/ProxyEnvironment.js"

const read = (env: Record<string, string>) => Effect.runSyncExit(ProxyEnvironment.fromEnvironment(env))

describe("ProxyEnvironment (the proxy variables as curl and requests read them)", () => {
  it("takes the lower-case form first, then the upper-case one; empty counts as unset", () => {
    const exit = read({
      https_proxy: "http://lower:3128",
      HTTPS_PROXY: "http://upper:3128",
      http_proxy: " ",
      HTTP_PROXY: "http://plain:3128",
      NO_PROXY: "localhost,.internal"
    })
    expect(Exit.isSuccess(exit)).toBe(true)
    if (!Exit.isSuccess(exit)) return
    expect(Option.map(exit.value.httpsProxy, Redacted.value)).toEqual(Option.some("http://lower:3128"))
    expect(Option.map(exit.value.httpProxy, Redacted.value)).toEqual(Option.some("http://plain:3128"))
    expect(exit.value.noProxy).toEqual(Option.some("localhost,.internal"))
    expect(read({})).toEqual(Exit.succeed(ProxyEnvironment.NO_PROXY_SETTINGS))
  })

  it("keeps credentials out of what it shows and says", () => {
    const exit = read({ HTTPS_PROXY: "http://user:s3cret@proxy.example:3128" })
    if (!Exit.isSuccess(exit)) throw new Error("expected settings")
    const proxy = Option.getOrThrow(exit.value.httpsProxy)
    expect(String(proxy)).not.toContain("s3cret")
    expect(ProxyEnvironment.displayProxy(proxy)).toBe("http://proxy.example:3128/")
    const invalid = read({ http_proxy: "user:s3cret@proxy", HTTPS_PROXY: "socks9://proxy" })
    expect(Exit.isFailure(invalid)).toBe(true)
    const text = JSON.stringify(invalid)
    expect(text).not.toContain("s3cret")
    expect(text).toContain("http_proxy / HTTP_PROXY")
    expect(text).toContain("https_proxy / HTTPS_PROXY")
  })
})
