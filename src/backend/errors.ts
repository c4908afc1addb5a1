// One place that decides how a failure is reported to Grafana: an HTTP-like status, a message a user can
// act on, and who is to blame ("downstream": the service, the settings or the query; "plugin": a bug here).
import { messageOf } from '../model/errorMessage';
import { QueryError } from '../model/query';
import { FrameError } from './frames';
import { ServiceError } from './serviceClient';
import { SettingsError } from './settings';
import type { DataResponse } from './types';

export interface ErrorReport {
  status: number;
  message: string;
  source: 'plugin' | 'downstream';
}

export function describeError(err: unknown): ErrorReport {
  if (err instanceof ServiceError) return { status: err.status, message: err.message, source: 'downstream' };
  if (err instanceof QueryError) return { status: 400, message: `invalid query: ${err.message}`, source: 'downstream' };
  if (err instanceof SettingsError) return { status: 400, message: `data source settings: ${err.message}`, source: 'downstream' };
  if (err instanceof FrameError) {
    return { status: 500, message: `the service returned a frame the plugin cannot encode: ${err.message}`, source: 'plugin' };
  }
  return { status: 500, message: messageOf(err), source: 'plugin' };
}

export function errorResponse(err: unknown): DataResponse {
  const { status, message, source } = describeError(err);
  return { frames: [], error: message, status, errorSource: source };
}
