// Types for the jest-dom matchers that .config/jest/setup.ts installs: tsc skips dot-folders such as .config.
import '@testing-library/jest-dom';
