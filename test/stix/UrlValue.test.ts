import { describe, expect, it } from "@effect/vitest"
import { isUri, urlValue, withoutUrlCredentials } from "../../src/stix/UrlValue.js"

describe("urlValue", () => {
  it.each([
    "http://demo.inertiajs.com/users/3/edit",
    "https://user:pw@host.example:8080/p/a;x?q=1&r=%20#frag",
    "android://AbC123==@com.example.app/",
    "mailto:someone@example.com",
    "https://[2001:db8::1]:443/x",
    "HTTP://EXAMPLE.COM",
    "ftp://127.0.0.1/file.txt"
  ])("keeps the URI %s verbatim", (url) => {
    expect(urlValue(url)).toBe(url)
  })

  it.each([
    ["https://example.com/a b", "https://example.com/a%20b"],
    ["https://example.com/100%", "https://example.com/100%25"],
    ["https://example.com/?q=\"x\"&p=<y>", "https://example.com/?q=%22x%22&p=%3Cy%3E"],
    ["https://example.com/a|b{c}^`\\", "https://example.com/a%7Cb%7Bc%7D%5E%60%5C"],
    ["https://example.com/caf\u00e9", "https://example.com/caf%C3%A9"],
    ["https://example.com/😀", "https://example.com/%F0%9F%98%80"],
    ["https://пример.com/путь", "https://xn--e1afmkfd.com/%D0%BF%D1%83%D1%82%D1%8C"],
    ["https://user@münchen.de:8443/", "https://user@xn--mnchen-3ya.de:8443/"]
  ])("writes %s as the URI %s", (text, url) => {
    expect(urlValue(text)).toBe(url)
  })

  it.each([
    "",
    "demo.inertiajs.com/users",
    "www.example.com",
    "://example.com",
    "1http://example.com",
    "http://[zz::1]/",
    "http://[fe80::1%25eth0]/",
    "http://host:port/",
    "https://example.com/a#b#c"
  ])("rejects %j", (text) => {
    expect(urlValue(text)).toBeUndefined()
  })

  it("only ever returns URIs", () => {
    for (const text of ["https://example.com/a b", "https://пример.com/x y", "https://e.com/%zz"]) {
      expect(isUri(urlValue(text)!)).toBe(true)
    }
  })
})

describe("withoutUrlCredentials", () => {
  it.each([
    ["https://user:Pa55word@host.example/a?b=1", "https://host.example/a?b=1"],
    ["https://host.example/a?b=1&password=Pa55word&c=2#frag", "https://host.example/a?b=1&c=2#frag"],
    ["https://host.example/?token=T0k3n", "https://host.example/"],
    ["https://host.example/p?q=1#access_token=At0k&state=2", "https://host.example/p?q=1#state=2"],
    ["https://host.example/dl?X-Amz-Credential=AKIA&X-Amz-Signature=abc&n=1", "https://host.example/dl?n=1"],
    ["https://host.example/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "https://host.example/reset/REDACTED"]
  ])("%s loses its credentials", (url, expected) => {
    expect(withoutUrlCredentials(url)).toBe(expected)
  })

  it("returns a URL without credentials unchanged, so its id stays the official connector's", () => {
    for (
      const url of [
        "https://host.example/a?b=1&c=2#top",
        "https://host.example/x?",
        "https://host.example/path@x",
        "mailto:zoe@example.com",
        "android://abc@com.example.app/"
      ]
    ) {
      expect(withoutUrlCredentials(url)).toBe(url)
    }
  })
})
