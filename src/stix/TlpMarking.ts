/**
 * The TLP marking definitions, with the fixed ids that stix2, pycti and OpenCTI share (docs/stix-mapping.md,
 * "Author and marking"). White, green, amber and red are stix2's TLP constants verbatim; amber+strict is the
 * statement marking pycti and the official connector emit, recognised by OpenCTI through `x_opencti_definition`.
 */
import type { TlpLevel } from "../config/Settings.js"
import type { StixObject } from "./StixObject.js"

/** The `created` of stix2's TLP constants; also used for every other constant object we emit. */
export const TLP_CREATED = "2017-01-20T00:00:00.000Z"

export const TLP_MARKING_IDS: Readonly<Record<TlpLevel, string>> = {
  white: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
  green: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
  amber: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
  "amber+strict": "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37",
  red: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
}

const tlpConstant = (level: "white" | "green" | "amber" | "red"): StixObject => ({
  type: "marking-definition",
  spec_version: "2.1",
  id: TLP_MARKING_IDS[level],
  created: TLP_CREATED,
  definition_type: "tlp",
  name: `TLP:${level.toUpperCase()}`,
  definition: { tlp: level }
})

/**
 * The marking object of a level. The official connector stamps amber+strict with the current time; a
 * fixed `created` keeps re-sent bundles byte-identical (OpenCTI ships this marking and ignores the date).
 */
export const tlpMarking = (level: TlpLevel): StixObject =>
  level === "amber+strict"
    ? {
      type: "marking-definition",
      spec_version: "2.1",
      id: TLP_MARKING_IDS["amber+strict"],
      created: TLP_CREATED,
      definition_type: "statement",
      definition: { statement: "custom" },
      x_opencti_definition: "TLP:AMBER+STRICT",
      x_opencti_definition_type: "TLP"
    }
    : tlpConstant(level)
