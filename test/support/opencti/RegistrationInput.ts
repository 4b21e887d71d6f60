/**
 * The registration input of an external-import connector as pycti sends it (docs/opencti-protocol.md,
 * "Start-up and registration"), for tests that need one without the connector's settings.
 */
import type { RegisterConnectorInput } from "../../../src/opencti/OpenCtiClient.js"

/** The input for connector `id` named SpyCloud with scope `spycloud`; `overrides` win. */
export const registrationInput = (
  id: string,
  overrides: Partial<RegisterConnectorInput> = {}
): RegisterConnectorInput => ({
  id,
  name: "SpyCloud",
  type: "EXTERNAL_IMPORT",
  scope: ["spycloud"],
  auto: false,
  auto_update: false,
  enrichment_resolution: "none",
  only_contextual: false,
  playbook_compatible: false,
  listen_callback_uri: null,
  ...overrides
})
