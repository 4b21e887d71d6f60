/**
 * A SpyCloud that answers what a test scripts, byte for byte: bodies that are not JSON, not UTF-8, nested
 * thousands of levels deep, too large, or that echo the API key. The watchlist answer depends on the page
 * cursor asked for and on how often that exact query was asked before, so that a hostile first attempt can
 * be followed by a good retry. The catalog endpoint knows no source.
 *
 *   const server = await startHostileSpycloud({ apiKey, watchlist: ({ cursor, attempt }) => ... })
 */
import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"

/** What one answer is: a status, headers and a body (written at once, or by `write` for streamed ones). */
export interface HostileAnswer {
  readonly status?: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string | Buffer | ((response: ServerResponse) => void)
}

export interface WatchlistAsk {
  /** The `cursor` parameter, "" for a first page. */
  readonly cursor: string
  /** 1 for the first time this exact query (cursor included) is asked, 2 for its first retry, … */
  readonly attempt: number
}

export interface HostileOptions {
  readonly apiKey: string
  readonly watchlist: (ask: WatchlistAsk) => HostileAnswer
}

export interface HostileSpycloud {
  readonly baseUrl: string
  readonly stop: () => Promise<void>
}

const EMPTY_PAGE = JSON.stringify({ cursor: "", hits: 0, results: [] })

export const startHostileSpycloud = async (options: HostileOptions): Promise<HostileSpycloud> => {
  const asked = new Map<string, number>()
  const sockets = new Set<Socket>()
  const server = createServer((request, response) => {
    // A client that abandons a large body closes the socket under the write: that is expected here.
    response.on("error", () => undefined)
    const url = new URL(request.url ?? "/", "http://localhost")
    if (request.headers["x-api-key"] !== options.apiKey) {
      response.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ message: "Forbidden" }))
      return
    }
    if (!url.pathname.includes("/breach/data/watchlist")) {
      response.writeHead(200, { "content-type": "application/json" }).end(EMPTY_PAGE)
      return
    }
    const attempt = (asked.get(url.search) ?? 0) + 1
    asked.set(url.search, attempt)
    const answer = options.watchlist({ cursor: url.searchParams.get("cursor") ?? "", attempt })
    response.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers })
    if (typeof answer.body === "function") answer.body(response)
    else response.end(answer.body)
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("error", () => undefined)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/enterprise-v2/`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
