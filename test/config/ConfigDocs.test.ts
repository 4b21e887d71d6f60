import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import * as YAML from "yaml"
import { GENERATED_FILES } from "../../scripts/config-docs.js"
import { flattenYaml, makeConfigProvider, unknownKeys } from "../../src/config/ConfigSource.js"
import * as ConnectorConfig from "../../src/config/ConnectorConfig.js"
import { SETTINGS } from "../../src/config/Settings.js"
import { REPO_ROOT } from "../support/Shared.js"

const read = (file: string) => readFileSync(resolve(REPO_ROOT, file), "utf8")
const ALL = Object.values(SETTINGS).flatMap((section) => Object.values(section))

describe("configuration documentation", () => {
  for (const [file, render] of Object.entries(GENERATED_FILES)) {
    it(`${file} matches the settings table (run \`npm run docs:config\` after changing settings)`, () => {
      expect(read(file)).toBe(render())
    })
  }

  it("README, config.yml.sample and docker-compose.yml name every variable", () => {
    const readme = read("README.md")
    const sample = read("config.yml.sample")
    const compose = read("docker-compose.yml")
    for (const setting of ALL) {
      expect(readme).toContain(`\`${setting.env}\``)
      expect(compose).toContain(`${setting.env}=`)
      expect(sample).toContain(`[${setting.env}]`)
      expect(sample).toMatch(new RegExp(`^  (# )?${setting.path.split(".")[1]}:`, "m"))
    }
  })

  it.effect("config.yml.sample is a usable config once its placeholders are filled in", () =>
    Effect.gen(function*() {
      const yaml = flattenYaml(YAML.parse(read("config.yml.sample")))
      expect(unknownKeys(yaml)).toEqual([])
      const env = { OPENCTI_TOKEN: "token", CONNECTOR_ID: "id", SPYCLOUD_API_KEY: "key" }
      const result = yield* ConnectorConfig.ConnectorConfig.pipe(
        Effect.provide(
          ConnectorConfig.layer.pipe(Layer.provide(Layer.setConfigProvider(makeConfigProvider(env, yaml))))
        ),
        Effect.either
      )
      expect(Either.isRight(result)).toBe(true)
    }))
})
