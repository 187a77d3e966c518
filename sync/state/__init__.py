"""Run state kept in a database: runs, deal snapshots, transitions and locks."""
