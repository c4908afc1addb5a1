// The modules that take long to load, loaded when a command runs, not on every call of trailhound: the AWS SDK
// (~0.7 s), DuckDB (~0.3 s), fastify (~0.3 s), pino and prom-client made even `trailhound --version` take 2 to 3 s.
// require(), not import(): tsx's CommonJS loader cannot run import(). esbuild's bundle keeps these lazy too, as long
// as no module loaded at start imports them (or a module that does) by a static import: commands import their types only.
// cli.test checks that --version and --help load none of them.
/* eslint-disable @typescript-eslint/no-require-imports */
export const database = () => require('../db/database') as typeof import('../db/database');
export const ingestion = () => require('../ingest') as typeof import('../ingest');
export const retention = () => require('../ingest/retention') as typeof import('../ingest/retention');
export const originals = () => require('../ingest/originals') as typeof import('../ingest/originals');
export const reports = () => require('../reports') as typeof import('../reports');
export const reportSql = () => require('../reports/sql') as typeof import('../reports/sql');
export const trails = () => require('../trails') as typeof import('../trails');
export const logger = () => require('../logger') as typeof import('../logger');
export const service = () => require('../service') as typeof import('../service');
export const apiServer = () => require('../api/server') as typeof import('../api/server');
export const opening = () => require('../api/opening') as typeof import('../api/opening');
export const progressBar = () => require('cli-progress') as typeof import('cli-progress');
