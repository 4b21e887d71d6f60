/**
 * What an offline run of the built binary needs and leaves: its environment against a SpyCloud stand-in,
 * and readers of the bundles and state it wrote. Free of vitest, so that scripts can use it too.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { STATE_FILE_NAME } from "../../src/config/ConnectorConfig.js"
import { recordIncidentId } from "../../src/stix/StixId.js"
import type { StixBundle, StixObject } from "../../src/stix/StixObject.js"
import type { SpycloudStandIn } from "./spycloud/SpycloudStandIn.js"

export const tempDirectory = (prefix: string) => mkdtempSync(join(tmpdir(), `${prefix}-`))

/** Environment for an offline `once` against the stand-in, with quick retries. */
export const offlineEnv = (
  standIn: SpycloudStandIn,
  directory: string,
  extra: Record<string, string> = {}
): Record<string, string> => ({
  CONNECTOR_ID: "a3b5c7d9-0000-4000-8000-0000000000aa",
  CONNECTOR_SEND_TO_QUEUE: "false",
  CONNECTOR_SEND_TO_DIRECTORY: "true",
  CONNECTOR_SEND_TO_DIRECTORY_PATH: directory,
  SPYCLOUD_API_KEY: standIn.apiKey,
  SPYCLOUD_API_BASE_URL: standIn.baseUrl,
  SPYCLOUD_IMPORT_START_DATE: standIn.dataset.startDate,
  SPYCLOUD_RETRY_INITIAL_DELAY: "PT0.01S",
  SPYCLOUD_RETRY_MAX_DELAY: "PT0.1S",
  ...extra
})

/** The bundles the directory holds (DIRECTORY_BUNDLE envelopes unwrapped), in file-name order. */
export const readBundles = (directory: string): Array<StixBundle> =>
  readdirSync(directory)
    .filter((name) => name.endsWith(".json") && !name.startsWith("."))
    .sort()
    .map((name) => (JSON.parse(readFileSync(join(directory, name), "utf8")) as { bundle: StixBundle }).bundle)

export const readState = (directory: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(directory, STATE_FILE_NAME), "utf8")) as Record<string, unknown>

/** How many times each object id of a type appears across bundles. */
export const occurrences = (bundles: ReadonlyArray<StixBundle>, type: string): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const bundle of bundles) {
    for (const object of bundle.objects) {
      if (object.type === type) counts.set(object.id, (counts.get(object.id) ?? 0) + 1)
    }
  }
  return counts
}

export const objectsOf = (bundles: ReadonlyArray<StixBundle>, type: string): Array<StixObject> =>
  bundles.flatMap((bundle) => bundle.objects.filter((object) => object.type === type))

/** The "Pass finished" log line's attributes, or the summary numbers printed by `once`. */
export const summaryNumber = (stdout: string, label: string): number => {
  const match = new RegExp(`${label}\\s+(\\d+)`).exec(stdout)
  if (!match) throw new Error(`no "${label}" in the summary:\n${stdout}`)
  return Number(match[1])
}

/** The incident ids of every well-formed record published on or after `since`. */
export const expectedIncidents = (server: SpycloudStandIn, since = server.dataset.startDate) =>
  server.dataset.documentIds({ since }).map(recordIncidentId)

/** Expected ids absent from what was written. */
export const missing = (expected: ReadonlyArray<string>, present: ReadonlyMap<string, number>) =>
  expected.filter((id) => !present.has(id))

/** First-page watchlist requests (the windows' queries) the stand-in received. */
export const watchlistRequests = (server: SpycloudStandIn) =>
  server.requests().filter((request) => request.endpoint === "watchlist" && request.query.cursor === undefined)
