/**
 * The V8 options the connector is run with: the image's ENTRYPOINT, the binary's `#!` line, `npm start`, the
 * tests that run the binary and the benchmark all use these, and `test/cli/NodeOptions.test.ts` keeps them equal.
 *
 * The young generation's size is fixed when the heap is made, so unlike the growth limit of `HeapGrowth.ts`
 * it cannot be set from inside the process. V8 lets each of its two halves grow to 16 MB on Node 20 and to
 * 64 MB on Node 24; the connector makes many short-lived objects, so that space fills and stays resident.
 * At 4 MB a 1M-record backfill to a directory peaked at 175-190 MB instead of 217-229 MB, for about 11 %
 * more CPU (README, "Memory").
 */
export const CONNECTOR_NODE_OPTIONS: ReadonlyArray<string> = ["--max-semi-space-size=4"]
