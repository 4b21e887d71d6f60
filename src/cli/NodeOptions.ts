/**
 * The V8 options the connector is run with: the image's ENTRYPOINT, the binary's `#!` line, `npm start`, the
 * tests that run the binary and the benchmark all use these, and `test/cli/NodeOptions.test.ts` keeps them equal.
 *
 * V8 lets each half of the young generation grow to 16 MB. The connector makes many short-lived objects, so
 * that space fills and stays resident: capping it at 8 MB kept a 1M-record backfill's peak RSS under 200 MB
 * for about 5 % more CPU (README, "Benchmarks").
 */
export const CONNECTOR_NODE_OPTIONS: ReadonlyArray<string> = ["--max-semi-space-size=8"]
