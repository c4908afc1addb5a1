// The protocol messages as @grpc/proto-loader decodes them (see protos.ts: proto field names, int64 as
// number, enums as names, defaults filled in). Only what Trailhound reads or writes.

export interface DataSourceInstanceSettings {
  id: number;
  name: string;
  url: string;
  jsonData: Uint8Array;
  decryptedSecureJsonData: Record<string, string>;
  lastUpdatedMS: number;
  uid: string;
}

export interface PluginContext {
  orgId: number;
  pluginId: string;
  user: { login: string; name: string; email: string; role: string } | null;
  dataSourceInstanceSettings: DataSourceInstanceSettings | null;
  pluginVersion: string;
}

export interface TimeRangeMessage {
  fromEpochMS: number;
  toEpochMS: number;
}

export interface DataQuery {
  refId: string;
  maxDataPoints: number;
  intervalMS: number;
  timeRange: TimeRangeMessage | null;
  json: Uint8Array;
  queryType: string;
}

export interface QueryDataRequest {
  pluginContext: PluginContext | null;
  headers: Record<string, string>;
  queries: DataQuery[];
}

export interface DataResponse {
  frames: Uint8Array[];
  error: string;
  status: number;
  errorSource: '' | 'plugin' | 'downstream';
}

export interface QueryDataResponse {
  responses: Record<string, DataResponse>;
}

export interface CheckHealthRequest {
  pluginContext: PluginContext | null;
  headers: Record<string, string>;
}

export interface CheckHealthResponse {
  status: 'UNKNOWN' | 'OK' | 'ERROR';
  message: string;
  jsonDetails: Uint8Array;
}

export interface CollectMetricsRequest {
  pluginContext: PluginContext | null;
}

export interface CollectMetricsResponse {
  metrics: { prometheus: Uint8Array };
}

export interface CallResourceRequest {
  pluginContext: PluginContext | null;
  path: string;
  method: string;
  url: string;
  headers: Record<string, { values: string[] }>;
  body: Uint8Array;
}

export interface CallResourceResponse {
  code: number;
  headers: Record<string, { values: string[] }>;
  body: Uint8Array;
}
