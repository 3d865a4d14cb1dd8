#!/bin/sh
# Entry point of the standby (postgres image, started as root): on first
# start, clone the primary with pg_basebackup (-R writes primary_conninfo and
# standby.signal; -C -S creates its replication slot), then run PostgreSQL as
# a hot standby. Fail over with
#   docker compose exec -u postgres postgres-standby pg_ctl promote
# OpenWit's multi-host catalog DSN then finds it.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	mkdir -p "$PGDATA"
	chown postgres:postgres "$PGDATA"
	chmod 700 "$PGDATA"
	until pg_isready -q -h postgres-primary -p 5432; do sleep 1; done
	PGPASSWORD=$REPLICATION_PASSWORD gosu postgres pg_basebackup -h postgres-primary -p 5432 \
		-U replicator -D "$PGDATA" -R -X stream -C -S standby1
fi
exec gosu postgres postgres -c hot_standby=on -c cluster_name=standby1
