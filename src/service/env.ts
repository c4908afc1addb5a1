// Process settings that libraries read once, when they load: imported first by every entry point.

// The AWS SDK warns about Node 20 whenever a client is created; Node 20 is supported here and users cannot act on it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// DuckDB's allocator (its own jemalloc) keeps freed memory for seconds, in one arena per core: measured, that
// retained memory, not data, was 100–150 MB of ingestion's peak RSS. One arena and a short decay cost no speed.
// A DUCKDB_JE_MALLOC_CONF set by the user wins.
process.env.DUCKDB_JE_MALLOC_CONF ??= 'narenas:1,dirty_decay_ms:100,muzzy_decay_ms:0';
