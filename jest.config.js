const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'es6' },
  },
];

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@wfnet/domain$': '<rootDir>/libs/domain/src/index.ts',
    '^@wfnet/domain/testing$': '<rootDir>/libs/domain/src/testing/index.ts',
    '^@wfnet/projections$': '<rootDir>/libs/projections/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
  rootDir: '.',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

/** Test tiers by file suffix: unit (`*.spec.ts`, no I/O), int (`*.int-spec.ts`, real stores and files), e2e (`*.e2e-spec.ts`, the whole app), ui (`*.ui-spec.ts`, the app in a browser). */
export default {
  testSequencer: '<rootDir>/jest.sequencer.js',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{libs,apps,test}/**/*.spec.ts'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/{libs,apps,test}/**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/{libs,apps,test}/**/*.e2e-spec.ts'] },
    // The browser tour and the pictures: the app in process, driven by a headless Chromium through playwright-core.
    { ...shared, displayName: 'ui', testMatch: ['<rootDir>/test/ui/**/*.ui-spec.ts'] },
  ],
  collectCoverageFrom: [
    'libs/domain/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/*-spec.ts',
    '!libs/domain/src/testing/**',
  ],
  coverageReporters: ['text-summary'],
  coverageThreshold: {
    './libs/domain/src/': { lines: 95 },
  },
};
