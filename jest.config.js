// Two projects: unit tests are pure and fast; integration tests drive the real engine,
// git and Varnish, share one swarm, and so run serially after the harness set it up.
const tsJest = ["ts-jest", { isolatedModules: true, tsconfig: "tsconfig.json" }];
module.exports = {
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      testEnvironment: "node",
    },
    {
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      testEnvironment: "node",
      globalSetup: "<rootDir>/test/harness/global-setup.ts",
      setupFilesAfterEnv: ["<rootDir>/test/support/integration-timeout.ts"],
    },
  ],
};
