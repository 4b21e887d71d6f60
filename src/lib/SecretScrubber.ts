/**
 * The last line of defence for every text that leaves the process (log lines, stdout and stderr, work
 * messages sent to OpenCTI): each secret the connector holds (tokens, keys, passwords, custom header
 * values, the RabbitMQ password OpenCTI hands out) is replaced by `<redacted>` wherever it appears, also
 * percent- or JSON-encoded, and credentials visible by their form (`user:password@`, `?token=`,
 * `Bearer …`) are replaced too. Errors are built not to hold secrets in the first place; this catches what
 * a peer echoes back (an error body quoting the `Authorization` header) or what a library puts in a message.
 *
 * Process-wide on purpose: secrets are learned while the configuration loads and OpenCTI answers, and the
 * outputs that must be scrubbed include the process's own stderr, which exists before any layer.
 */
import { redactCredentials } from "../stix/SecretText.js"

export const REDACTED_TEXT = "<redacted>"

/** Shorter values would scrub ordinary words; they are still never logged, being `Redacted`. */
const MIN_SECRET_LENGTH = 4

const secrets = new Set<string>()
let ordered: Array<string> = []

const variants = (secret: string): Array<string> => {
  const json = JSON.stringify(secret).slice(1, -1)
  const encoded = encodeURIComponent(secret)
  return [...new Set([secret, json, encoded, JSON.stringify(json).slice(1, -1)])]
}

/** Adds secrets to scrub from now on (empty and very short values are ignored). */
export const registerSecrets = (...values: ReadonlyArray<string | undefined>): void => {
  let changed = false
  for (const value of values) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue
    for (const variant of variants(value)) {
      if (!secrets.has(variant)) {
        secrets.add(variant)
        changed = true
      }
    }
  }
  // Longest first, so that a secret containing another is replaced whole.
  if (changed) ordered = [...secrets].sort((a, b) => b.length - a.length)
}

/**
 * The text without any registered secret, and nothing else changed: for what comes in (a SpyCloud answer
 * echoing the key into a record) before it is parsed, so that no bundle can carry it.
 */
export const withoutRegisteredSecrets = (text: string): string => {
  let result = text
  for (const secret of ordered) if (result.includes(secret)) result = result.split(secret).join(REDACTED_TEXT)
  return result
}

/** The text without any registered secret or visible credential. */
export const scrubSecrets = (text: string): string => redactCredentials(withoutRegisteredSecrets(text))

/** Forgets every registered secret (tests only need this between cases). */
export const clearSecrets = (): void => {
  secrets.clear()
  ordered = []
}

/** Routes everything the process writes to stdout and stderr through `scrubSecrets`. */
export const scrubProcessOutput = (): void => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: Array<unknown>) => boolean
    stream.write = ((chunk: unknown, ...rest: Array<unknown>) =>
      write(
        typeof chunk === "string"
          ? scrubSecrets(chunk)
          : chunk instanceof Uint8Array
          ? scrubSecrets(Buffer.from(chunk).toString("utf8"))
          : chunk,
        ...rest
      )) as typeof stream.write
  }
}
