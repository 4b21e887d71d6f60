import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The image's tests need a Docker engine: `npm run test:container` (vitest.container.config.ts).
    exclude: [...configDefaults.exclude, "test/docker/**"],
    // Integration tests start real processes and talk to RabbitMQ; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
