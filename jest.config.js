// Two projects: unit tests are pure and fast; integration tests drive the real engine,
// git and Varnish, share one swarm, and so run serially after the harness set it up.
const tsJest = ["ts-jest", { isolatedModules: true, tsconfig: "tsconfig.json" }];
// age-encryption (and its @noble/@scure dependencies) ship only as ES modules; Node loads them
// with require(esm), jest's own loader does not, so jest transpiles them to CommonJS.
const esmOnly = "(age-encryption|@noble|@scure)";
const esmJs = { [`node_modules/${esmOnly}/.+\\.js$`]: ["ts-jest", { isolatedModules: true, tsconfig: { allowJs: true, module: "commonjs", target: "ES2022" } }] };
const transformIgnorePatterns = [`/node_modules/(?!${esmOnly}/)`];
module.exports = {
  projects: [
    {
      displayName: "unit",
      testMatch: ["<rootDir>/test/unit/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest, ...esmJs },
      transformIgnorePatterns,
      testEnvironment: "node",
    },
    {
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest, ...esmJs },
      transformIgnorePatterns,
      testEnvironment: "node",
      globalSetup: "<rootDir>/test/harness/global-setup.ts",
      globalTeardown: "<rootDir>/test/harness/global-teardown.ts",
      setupFilesAfterEnv: ["<rootDir>/test/support/integration-timeout.ts"],
    },
  ],
};
