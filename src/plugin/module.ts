// The plugin's entry point, loaded by Grafana as dist/module.js.
import { DataSourcePlugin } from '@grafana/data';
import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import type { Options, Query, SecureOptions } from './types';

export { DataSource };

export const plugin = new DataSourcePlugin<DataSource, Query, Options, SecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
