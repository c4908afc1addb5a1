// Three projects: Node for the service, backend, model and generator; jsdom for the Grafana frontend, and for the few
// other tests that run Grafana's own frontend code (named *.jsdom.test.ts); and the plugin's tests once more on React
// 19, which Grafana 13 gives the plugins it runs (the plugin is built on React 18, and bundles no React of its own).
const swc = ['@swc/jest', { jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } }];

// Packages that ship only ES modules: Jest must transform them (as @grafana/create-plugin's config does).
const esModules = [
  '@grafana/plugin-ui', 'react-calendar', '@wojtekmaj/date-utils', 'get-user-locale', 'memoize', 'mimic-function', 'd3', 'd3-[a-z-]+', 'internmap',
  'delaunator', 'robust-predicates', 'ol', 'react-colorful', 'uuid', 'marked', 'marked-mangle', 'rxjs', 'rbush', 'quickselect', 'earcut', 'pbf',
  'geotiff', 'quick-lru', 'web-worker', 'zstddec',
];

const jsdom = {
  displayName: 'jsdom',
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/src/plugin', '<rootDir>/tests'],
  testMatch: ['<rootDir>/src/plugin/**/*.test.ts?(x)', '**/*.jsdom.test.ts'],
  setupFilesAfterEnv: ['<rootDir>/.config/jest/setup.ts'],
  // The React each run is meant to have: src/plugin/react.test.tsx checks it got it.
  globals: { reactMajor: 18 },
  moduleNameMapper: { '\\.(css|scss|sass)$': 'identity-obj-proxy' },
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  // Nested copies too (node_modules/@grafana/ui/node_modules/react-calendar).
  transformIgnorePatterns: [`node_modules/(?!.*(${esModules.join('|')})/.*)`],
};

// React 19 is installed apart (the tests/react19 workspace): every import of react and react-dom, Grafana UI's too, is
// sent there, as Grafana 13 shares its own React with the plugin.
const react19 = '<rootDir>/tests/react19/node_modules/';

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
    jsdom,
    {
      ...jsdom,
      displayName: 'react19',
      globals: { reactMajor: 19 },
      roots: ['<rootDir>/src/plugin'],
      testMatch: ['<rootDir>/src/plugin/**/*.test.ts?(x)'],
      moduleNameMapper: {
        ...jsdom.moduleNameMapper,
        '^react$': `${react19}react`,
        '^react/(.*)$': `${react19}react/$1`,
        '^react-dom$': `${react19}react-dom`,
        '^react-dom/(.*)$': `${react19}react-dom/$1`,
      },
    },
  ],
  testTimeout: 60000,
};
