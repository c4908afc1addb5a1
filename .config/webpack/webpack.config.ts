// The frontend build, after @grafana/create-plugin's: swc for TypeScript, an AMD module Grafana's loader can
// import, Grafana's shared libraries left external, plugin.json / README / LICENSE / NOTICE / CHANGELOG / logo and
// screenshots copied beside module.js.
import CopyWebpackPlugin from 'copy-webpack-plugin';
import fs from 'node:fs';
import path from 'node:path';
import type { Configuration } from 'webpack';
import { DIST_DIR, PLUGIN_ID, ROOT_DIR, SOURCE_DIR } from './constants';
import { externals } from './externals';

interface Env {
  production?: boolean;
  development?: boolean;
}

const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string };

/** plugin.json's placeholders, as create-plugin fills them. */
export function fillPluginJson(text: string, now = new Date()): string {
  return text.replace(/%VERSION%/g, packageJson.version).replace(/%TODAY%/g, now.toISOString().slice(0, 10));
}

const config = (env: Env = {}): Configuration => {
  const production = Boolean(env.production) || !env.development;
  return {
    mode: production ? 'production' : 'development',
    context: ROOT_DIR,
    devtool: production ? 'source-map' : 'eval-source-map',
    entry: { module: path.join(SOURCE_DIR, 'module.ts') },
    externals,
    output: {
      path: DIST_DIR,
      filename: '[name].js',
      library: { type: 'amd' },
      publicPath: `public/plugins/${PLUGIN_ID}/`,
      uniqueName: PLUGIN_ID,
      // The backend build writes gpx_* executables into dist/ too: keep them.
      clean: { keep: /^gpx_/ },
    },
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs'],
      unsafeCache: true,
    },
    module: {
      rules: [
        {
          test: /\.[tj]sx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'swc-loader',
            options: {
              jsc: {
                target: 'es2019',
                parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
                transform: { react: { runtime: 'automatic' } },
              },
            },
          },
        },
        {
          // Some ESM packages import without file extensions.
          test: /\.m?js$/,
          resolve: { fullySpecified: false },
        },
      ],
    },
    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'plugin.json', to: '.', transform: (content) => fillPluginJson(content.toString()) },
          // The plugin's own README (create-plugin's README.md in the source folder), not the repository's: Grafana
          // shows it on the plugin's page, where links to the repository's other files would lead nowhere.
          { from: path.join(SOURCE_DIR, 'README.md'), to: '.' },
          { from: 'img/**/*', to: '.' },
          // plugin.json's screenshots, kept once where `npm run screenshot` writes them.
          { from: 'docs/screenshots/*.png', to: 'img/screenshots/[name][ext]' },
          // Apache 2.0 (section 4) asks that a distribution carry the license and the NOTICE.
          { from: 'LICENSE', to: '.' },
          { from: 'NOTICE', to: '.' },
          { from: 'CHANGELOG.md', to: '.' },
        ],
      }),
    ],
    performance: { hints: false },
  };
};

export default config;
