import { describe, expect, it } from "@effect/vitest"
import { TLP_LEVELS } from "../../src/config/Settings.js"
import { makeMappingContext } from "../../src/stix/MappingContext.js"

const context = (tlp: (typeof TLP_LEVELS)[number], connectorName = "SpyCloud") =>
  makeMappingContext({ connectorName, tlp, includeSensitiveData: false })

describe("makeMappingContext", () => {
  it("builds the official connector's author identity, with fixed timestamps", () => {
    expect(context("amber").author).toStrictEqual({
      type: "identity",
      spec_version: "2.1",
      id: "identity--115e787b-4b83-59ef-b350-aeb7b1736c74",
      created: "2017-01-20T00:00:00.000Z",
      modified: "2017-01-20T00:00:00.000Z",
      name: "SpyCloud",
      description: "SpyCloud external import connector",
      identity_class: "organization"
    })
  })

  it("names the author after CONNECTOR_NAME", () => {
    const ctx = context("red", "Spycloud Test")
    expect(ctx.authorId).toBe("identity--29534c5c-b9ec-5725-ad53-9c60e08a6cb0")
    expect(ctx.author.name).toBe("Spycloud Test")
  })

  it("uses stix2's TLP constants for white, green, amber and red", () => {
    expect(context("green").marking).toStrictEqual({
      type: "marking-definition",
      spec_version: "2.1",
      id: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
      created: "2017-01-20T00:00:00.000Z",
      definition_type: "tlp",
      name: "TLP:GREEN",
      definition: { tlp: "green" }
    })
    expect(context("white").marking).toMatchObject({ name: "TLP:WHITE", definition: { tlp: "white" } })
    expect(context("amber").marking).toMatchObject({ name: "TLP:AMBER", definition: { tlp: "amber" } })
    expect(context("red").marking).toMatchObject({ name: "TLP:RED", definition: { tlp: "red" } })
  })

  it("uses OpenCTI's statement marking for amber+strict (the default)", () => {
    expect(context("amber+strict").marking).toStrictEqual({
      type: "marking-definition",
      spec_version: "2.1",
      id: "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37",
      created: "2017-01-20T00:00:00.000Z",
      definition_type: "statement",
      definition: { statement: "custom" },
      x_opencti_definition: "TLP:AMBER+STRICT",
      x_opencti_definition_type: "TLP"
    })
  })

  it("shares one frozen marking reference list", () => {
    for (const level of TLP_LEVELS) {
      const ctx = context(level)
      expect(ctx.markingRefs).toStrictEqual([ctx.marking.id])
      expect(ctx.markingId).toBe(ctx.marking.id)
      expect(Object.isFrozen(ctx.markingRefs)).toBe(true)
    }
  })
})
