#!/bin/sh
# Runs once, when the primary's data directory is created (the postgres
# image's /docker-entrypoint-initdb.d): a replication user for the standby
# and its pg_hba line. The standby is synchronous (standby1 is its
# cluster_name): a catalog commit is acknowledged only once the standby has
# it, so a failover loses no published file. The price: while the standby is
# down, catalog writes wait.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPLICATION_PASSWORD';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
# Last: from here on every commit waits for the standby.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -c "ALTER SYSTEM SET synchronous_standby_names = 'standby1'"
