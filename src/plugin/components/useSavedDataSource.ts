// The data source instance built from the *saved* settings: the ingestion panel talks to the service through
// it, so it works only once Save & test has stored a URL and token.
import { getDataSourceSrv } from '@grafana/runtime';
import { useEffect, useState } from 'react';
import type { IngestionSource } from './IngestionPanel';

export function useSavedDataSource(uid: string | undefined): { datasource?: IngestionSource } {
  const [datasource, setDatasource] = useState<IngestionSource>();
  useEffect(() => {
    let live = true;
    if (!uid) {
      setDatasource(undefined);
      return;
    }
    getDataSourceSrv()
      .get({ uid })
      .then((ds) => live && setDatasource(ds as unknown as IngestionSource))
      .catch(() => live && setDatasource(undefined));
    return () => {
      live = false;
    };
  }, [uid]);
  return { datasource };
}
