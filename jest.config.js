// Two projects: Node for the service, backend, model and generator; jsdom for the Grafana frontend, and for the few
// other tests that run Grafana's own frontend code (named *.jsdom.test.ts).
const swc = ['@swc/jest', { jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } }];

// Packages that ship only ES modules: Jest must transform them (as @grafana/create-plugin's config does).
const esModules = [
  '@grafana/plugin-ui', 'react-calendar', '@wojtekmaj/date-utils', 'get-user-locale', 'memoize', 'mimic-function', 'd3', 'd3-[a-z-]+', 'internmap',
  'delaunator', 'robust-predicates', 'ol', 'react-colorful', 'uuid', 'marked', 'marked-mangle', 'rxjs', 'rbush', 'quickselect', 'earcut', 'pbf',
  'geotiff', 'quick-lru', 'web-worker', 'zstddec',
];

module.exports = {
  projects: [
    {
      displayName: 'node',
      testEnvironment: 'node',
      roots: ['<rootDir>/src', '<rootDir>/tests'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/src/plugin/', '\\.jsdom\\.test\\.ts$'],
      transform: { '^.+\\.(t|j)sx?$': swc },
    },
    {
      displayName: 'jsdom',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/src/plugin', '<rootDir>/tests'],
      testMatch: ['<rootDir>/src/plugin/**/*.test.ts?(x)', '**/*.jsdom.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/.config/jest/setup.ts'],
      moduleNameMapper: { '\\.(css|scss|sass)$': 'identity-obj-proxy' },
      transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
      // Nested copies too (node_modules/@grafana/ui/node_modules/react-calendar).
      transformIgnorePatterns: [`node_modules/(?!.*(${esModules.join('|')})/.*)`],
    },
  ],
  testTimeout: 60000,
};
