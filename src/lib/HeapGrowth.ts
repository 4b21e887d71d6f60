/**
 * How far V8 lets the heap grow past what a full collection found alive. On a machine with a few GB of
 * memory V8 allows up to 4×, so a connector that keeps 50-80 MB alive (a page, the bundles in flight, the
 * code) grows to 450-570 MB of RSS, more on longer imports. At 2× (`--heap-growing-percent=100`), RSS stayed
 * at 280-340 MB from 10k to 1M records in `npm run bench`, for about 7% more CPU spent collecting.
 *
 * V8 reads this flag each time it sets the next collection's limit, so setting it from inside the process
 * works (unlike `--max-old-space-size` or the young generation's size, fixed once the heap exists), and node
 * stays the container's only process. An operator's own choice, in NODE_OPTIONS or on the command line,
 * wins.
 */
import { setFlagsFromString } from "node:v8"

export const HEAP_GROWING_PERCENT = 100

const HEAP_FLAGS = /--(heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size)\b/

/** Whether the operator configured V8's heap sizing already (NODE_OPTIONS or node's own arguments). */
export const heapSizingConfigured = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): boolean =>
  execArgv.some((argument) => HEAP_FLAGS.test(argument)) || HEAP_FLAGS.test(nodeOptions ?? "")

/** Caps heap growth at 2× the live heap unless the operator chose otherwise; returns whether it did. */
export const limitHeapGrowth = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): boolean => {
  if (heapSizingConfigured(execArgv, nodeOptions)) return false
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  return true
}
