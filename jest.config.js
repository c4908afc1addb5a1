// Two projects: Node for the service, backend, model and generator; jsdom for the Grafana frontend.
const swc = ['@swc/jest', { jsc: { target: 'es2022', transform: { react: { runtime: 'automatic' } } } }];

module.exports = {
  projects: [
    {
      displayName: 'node',
      testEnvironment: 'node',
      roots: ['<rootDir>/src', '<rootDir>/tests'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/src/plugin/'],
      transform: { '^.+\\.(t|j)sx?$': swc },
    },
  ],
  testTimeout: 60000,
};
