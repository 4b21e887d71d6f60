/**
 * `once` (the built binary) against the OpenCTI stand-in playing each supported platform version: every
 * document valid on all of them, registration with `version` and `slug` only where the platform's
 * `RegisterConnectorInput` has them, and every record delivered.
 */
import { afterAll, beforeAll, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import {
  connectorEnv,
  expectedIncidents,
  incidentIds,
  runToEnd,
  worksOf,
  yesterday
} from "../support/ConnectorHarness.js"
import { SCHEMA_VERSIONS } from "../support/opencti/OpenCtiSchemas.js"
import { startOpenCtiStandIn } from "../support/opencti/OpenCtiStandIn.js"
import { drainPushQueue } from "../support/opencti/PushQueue.js"
import { describeWithShared, REPO_ROOT } from "../support/Shared.js"
import { type SpycloudStandIn, startSpycloudStandIn } from "../support/spycloud/SpycloudStandIn.js"

const PACKAGE = JSON.parse(readFileSync(resolve(REPO_ROOT, "package.json"), "utf8")) as { readonly version: string }
const MANIFEST = JSON.parse(readFileSync(resolve(REPO_ROOT, "__metadata__/connector_manifest.json"), "utf8")) as {
  readonly slug: string
}

describeWithShared("once against each OpenCTI version (built binary, real RabbitMQ)", () => {
  let spycloud: SpycloudStandIn
  beforeAll(async () => {
    spycloud = await startSpycloudStandIn({ dataset: { records: 40, days: 2, endDate: yesterday(), seed: 5 } })
  })
  afterAll(() => spycloud.stop())

  for (const version of SCHEMA_VERSIONS) {
    const hasFields = version.endsWith("+version-slug")
    it(`${version}: 0 invalid documents; registration ${hasFields ? "carries" : "leaves out"} version and slug`, async () => {
      const platform = await startOpenCtiStandIn({ schemaVersion: version })
      try {
        const env = connectorEnv(platform, spycloud)
        const result = await runToEnd(["once"], env)
        expect(result.code, result.stderr).toBe(0)
        expect(platform.invalidRequests).toEqual([])
        expect(platform.callsOf("ApiCompatibility")).toHaveLength(1)
        const [input] = platform.callsOf("RegisterConnector").map((call) =>
          call.variables.input as Record<string, unknown>
        )
        if (hasFields) {
          expect(input).toMatchObject({ version: PACKAGE.version, slug: MANIFEST.slug })
        } else {
          expect(Object.keys(input!).filter((key) => key === "version" || key === "slug")).toEqual([])
        }
        const [work] = worksOf(platform, env.CONNECTOR_ID)
        const drained = await drainPushQueue(`push_${env.CONNECTOR_ID}`, { expected: work!.expectations })
        expect(incidentIds(drained.objects)).toEqual(expectedIncidents(spycloud.dataset))
      } finally {
        await platform.close()
      }
    })
  }
})
