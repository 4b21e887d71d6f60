import { defineConfig } from "vitest/config"

// `npm run test:container`: builds the image with a Docker engine and runs it; `npm test` leaves it out.
export default defineConfig({
  test: {
    include: ["test/docker/**/*.test.ts"],
    // The first build installs the dependencies twice (build and runtime stages).
    testTimeout: 300_000,
    hookTimeout: 900_000,
    // One image build, shared by every test.
    fileParallelism: false
  }
})
