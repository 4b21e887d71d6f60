/**
 * A small recording forward proxy on 127.0.0.1, like the outbound proxy of an enterprise network: https
 * through `CONNECT host:port` tunnels, http as absolute-form requests (`GET http://host/path`). Host names
 * resolve only through its own table, so a client that reaches a mapped name can only have come through
 * it. With credentials, requests without the right `Proxy-Authorization` get 407. Everything that passes
 * is recorded.
 *
 *   const proxy = await startForwardProxy({ hosts: { "api.spycloud.test": "127.0.0.1" }, credentials })
 *   ... HTTPS_PROXY=proxy.urlWithCredentials ...
 *   expect(proxy.requests.map((r) => r.host)).toContain("api.spycloud.test:443")
 */
import { createServer, type IncomingMessage, request as httpRequest, type Server } from "node:http"
import { connect, type Socket } from "node:net"
import type { AddressInfo } from "node:net"

export interface ProxiedRequest {
  readonly mode: "connect" | "absolute"
  /** `hostname:port` the client asked for. */
  readonly host: string
  /** The absolute URL of an absolute-form request; the authority of a CONNECT. */
  readonly target: string
  readonly method: string
  /** Whether the request carried the expected credentials (true when none are required). */
  readonly authorized: boolean
  /** What the proxy answered itself: 407, 502 for an unknown host; undefined when it forwarded. */
  readonly refused?: number
}

export interface ForwardProxyOptions {
  /** Host name → address; any other name is unknown to the proxy (502). */
  readonly hosts: Readonly<Record<string, string>>
  readonly credentials?: { readonly user: string; readonly password: string }
}

export interface ForwardProxy {
  readonly port: number
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** `http://user:password@127.0.0.1:<port>` (the url when there are no credentials). */
  readonly urlWithCredentials: string
  readonly requests: ReadonlyArray<ProxiedRequest>
  readonly close: () => Promise<void>
}

const splitHost = (authority: string): { hostname: string; port: number } => {
  const at = authority.lastIndexOf(":")
  return at > 0 && !authority.endsWith("]")
    ? { hostname: authority.slice(0, at), port: Number(authority.slice(at + 1)) }
    : { hostname: authority, port: 80 }
}

export const startForwardProxy = async (options: ForwardProxyOptions): Promise<ForwardProxy> => {
  const requests: Array<ProxiedRequest> = []
  const expected = options.credentials === undefined
    ? undefined
    : `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString("base64")}`
  const authorizedRequest = (request: IncomingMessage) =>
    expected === undefined || request.headers["proxy-authorization"] === expected

  const server: Server = createServer((request, response) => {
    const target = request.url ?? ""
    let url: URL
    try {
      url = new URL(target)
    } catch {
      response.writeHead(400).end("absolute-form request expected")
      return
    }
    const host = `${url.hostname}:${url.port === "" ? 80 : url.port}`
    const authorized = authorizedRequest(request)
    const address = options.hosts[url.hostname]
    const refused = !authorized ? 407 : address === undefined ? 502 : undefined
    requests.push({
      mode: "absolute",
      host,
      target,
      method: request.method ?? "",
      authorized,
      ...(refused ? { refused } : {})
    })
    if (refused === 407) {
      response.writeHead(407, { "proxy-authenticate": "Basic realm=\"proxy\"" }).end()
      return
    }
    if (refused === 502) {
      response.writeHead(502).end(`unknown host ${url.hostname}`)
      return
    }
    const headers = { ...request.headers }
    delete headers["proxy-authorization"]
    delete headers["proxy-connection"]
    const upstream = httpRequest(
      {
        host: address,
        port: url.port === "" ? 80 : Number(url.port),
        method: request.method,
        path: url.pathname + url.search,
        headers
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      }
    )
    upstream.on("error", () => {
      if (!response.headersSent) response.writeHead(502)
      response.end()
    })
    request.pipe(upstream)
  })

  const sockets = new Set<Socket>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  }
  server.on("connection", track)

  server.on("connect", (request: IncomingMessage, client: Socket, head: Buffer) => {
    const authority = request.url ?? ""
    const { hostname, port } = splitHost(authority)
    const authorized = authorizedRequest(request)
    const address = options.hosts[hostname]
    const refused = !authorized ? 407 : address === undefined ? 502 : undefined
    requests.push({
      mode: "connect",
      host: `${hostname}:${port}`,
      target: authority,
      method: "CONNECT",
      authorized,
      ...(refused ? { refused } : {})
    })
    if (refused !== undefined) {
      const reason = refused === 407
        ? "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\""
        : "502 Bad Gateway"
      client.end(`HTTP/1.1 ${reason}\r\nContent-Length: 0\r\n\r\n`)
      return
    }
    const upstream = connect(port, address!, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n")
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    track(upstream)
    upstream.on("error", () => client.destroy())
    client.on("error", () => upstream.destroy())
  })

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  const credentials = options.credentials
  return {
    port,
    url,
    urlWithCredentials: credentials === undefined
      ? url
      : `http://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
