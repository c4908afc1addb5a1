// Each value of a list once, without DuckDB's list_distinct: in DuckDB 1.5 a list_distinct that runs out of memory
// crashes the process (a segfault as it destroys aggregate states it never built) where every other operator fails
// with an Out of Memory error, which ingestion handles by halving its batch. Ingestion under a tight memory limit
// (TRAILHOUND_MEMORY_LIMIT around 100MB) crashed so, and came back to the same files to crash again.

/** SQL: the values of the list column `list` in their order, each at its first place only (NULL as a value too). */
export const distinctSql = (list: string) => `list_filter(${list}, (v, i) -> list_position(${list}, v) = i)`;
