"""The warehouse service (the seed's BigQuery service): the stores' analysable rows, synced per
company, queried by name. DuckDB embedded by default; BigQuery is the production engine."""
