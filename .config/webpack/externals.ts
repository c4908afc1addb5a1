// What Grafana already provides to plugins at run time (its shared SystemJS modules): never bundled, so the
// plugin uses the exact React, Grafana UI and friends of the Grafana it runs in.
import type { Configuration } from 'webpack';

export const externals: Configuration['externals'] = [
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react-dom',
  // Grafana 13 runs plugins under React 19: a bundled React 18 jsx-runtime would read internals React 19 removed.
  // Grafana shares its own jsx-runtime from 12.3 (and 12.0.10, 12.1.7, 12.2.5) on; hence grafanaDependency >=12.3.0.
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-redux',
  'redux',
  'rxjs',
  'rxjs/operators',
  'i18next',
  'react-router',
  'react-router-dom',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
  /^@grafana\/i18n/i,
  // Grafana's own modules, e.g. "grafana/app/core/..." (none used today, kept for parity with create-plugin).
  ({ request }, callback) => {
    const prefix = 'grafana/';
    if (request?.startsWith(prefix)) {
      return callback(undefined, `amd ${request.slice(prefix.length)}`);
    }
    callback();
  },
];
