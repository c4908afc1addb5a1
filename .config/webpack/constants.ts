// Paths and names the build shares with tests and scripts.
import path from 'node:path';

export const ROOT_DIR = path.resolve(__dirname, '..', '..');
export const SOURCE_DIR = path.join(ROOT_DIR, 'src', 'plugin');
export const DIST_DIR = path.join(ROOT_DIR, 'dist');
export const PLUGIN_ID = 'trailhound-cloudtrail-datasource';
