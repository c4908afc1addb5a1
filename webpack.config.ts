// Extend .config/webpack/webpack.config.ts here if the plugin ever needs more (create-plugin's layout).
import config from './.config/webpack/webpack.config';

export default config;
