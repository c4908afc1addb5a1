// The frontend build, run for real with webpack (as `npm run build:frontend` does) into a folder of the test's.
import webpack, { type Configuration, type Stats } from 'webpack';
import config from '../../../.config/webpack/webpack.config';

function compile(c: Configuration): Promise<Stats> {
  return new Promise((resolve, reject) => webpack(c, (err, stats) => (err || !stats ? reject(err) : resolve(stats))));
}

/** Builds the production frontend into `out`; its errors, if any, fail the caller's expectation. */
export async function buildFrontend(out: string): Promise<string> {
  const c = config({ production: true });
  const stats = await compile({ ...c, output: { ...c.output, path: out } });
  return stats.hasErrors() ? stats.toString('errors-only') : '';
}
