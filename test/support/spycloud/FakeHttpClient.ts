/**
 * A scripted `HttpClient` for unit tests of the SpyCloud client: no network, every request recorded,
 * each answer chosen by the test (a JSON body, any status and headers, a broken connection, or no answer
 * at all).
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Effect, Layer } from "effect"

export type FakeReply =
  | {
    readonly _tag: "Respond"
    readonly status: number
    readonly headers: Record<string, string>
    readonly body: string
  }
  | { readonly _tag: "Reset" }
  | { readonly _tag: "Hang" }

export interface RecordedRequest {
  readonly method: string
  readonly url: URL
  /** The path below the host, e.g. `/enterprise-v2/breach/data/watchlist`. */
  readonly path: string
  readonly params: URLSearchParams
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
}

/** An answer with a JSON body (or raw text when `body` is a string). */
export const respond = (status: number, body: unknown = {}, headers: Record<string, string> = {}): FakeReply => ({
  _tag: "Respond",
  status,
  headers: { "content-type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body)
})

/** A watchlist or catalog page. */
export const page = (results: ReadonlyArray<unknown>, cursor = "", hits = results.length): FakeReply =>
  respond(200, { cursor, hits, results })

/** The connection drops before an answer (undici's "other side closed"). */
export const reset: FakeReply = { _tag: "Reset" }

/** No answer, ever: only a timeout ends the wait. */
export const hang: FakeReply = { _tag: "Hang" }

export interface FakeHttp {
  readonly layer: Layer.Layer<HttpClient.HttpClient>
  /** Every request received so far, in order. */
  readonly requests: Array<RecordedRequest>
}

/** A client whose answers come from `answer(request, index)`; index counts from 0. */
export const fakeHttp = (answer: (request: RecordedRequest, index: number) => FakeReply): FakeHttp => {
  const requests: Array<RecordedRequest> = []
  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const recorded: RecordedRequest = {
        method: request.method,
        url,
        path: url.pathname,
        params: url.searchParams,
        headers: { ...request.headers }
      }
      requests.push(recorded)
      const reply = answer(recorded, requests.length - 1)
      switch (reply._tag) {
        case "Respond":
          return Effect.succeed(
            HttpClientResponse.fromWeb(
              request,
              new Response(reply.body, { status: reply.status, headers: reply.headers })
            )
          )
        case "Reset":
          return Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" })
            })
          )
        case "Hang":
          return Effect.never
      }
    })
  )
  return { layer: Layer.succeed(HttpClient.HttpClient, client), requests }
}

/** Answers with `replies` in order; a request beyond the script is a test failure. */
export const scriptedHttp = (...replies: ReadonlyArray<FakeReply>): FakeHttp =>
  fakeHttp((request, index) => {
    const reply = replies[index]
    if (reply === undefined) throw new Error(`unexpected request #${index + 1}: ${request.method} ${request.url}`)
    return reply
  })
