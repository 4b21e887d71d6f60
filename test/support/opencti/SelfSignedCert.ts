/**
 * A throw-away self-signed certificate for 127.0.0.1 and the given host names (made with the openssl
 * command), for TLS tests.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface SelfSignedCert {
  readonly cert: string
  readonly key: string
  /** The certificate's file, usable as a CA bundle. */
  readonly certPath: string
}

export const makeSelfSignedCert = (hostNames: ReadonlyArray<string> = []): SelfSignedCert => {
  const dir = mkdtempSync(join(tmpdir(), "opencti-tls-"))
  const certPath = join(dir, "cert.pem")
  const keyPath = join(dir, "key.pem")
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    `subjectAltName=${["IP:127.0.0.1", ...hostNames.map((name) => `DNS:${name}`)].join(",")}`
  ], { stdio: "ignore" })
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath }
}
