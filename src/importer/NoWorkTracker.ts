/** Offline (or with CONNECTOR_SEND_TO_QUEUE=false, as pycti does): there are no OpenCTI works. */
import { Effect, Layer, Option } from "effect"
import { WorkTracker } from "./WorkTracker.js"

export const layer = Layer.succeed(
  WorkTracker,
  WorkTracker.of({ start: () => Effect.succeed(Option.none()), finish: () => Effect.void })
)
