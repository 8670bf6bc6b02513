package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations[i] takes the schema from version i to version i+1. Released
// entries are never edited: a change of schema is a new entry, so that a
// database created by any earlier release can be brought up to date.
//
// Column notes:
//   - identifiers are bytea (see the package comment); bytea orders
//     bytewise, so ORDER BY key is S3's listing order;
//   - rec columns hold the record as JSON, as the Pebble store does,
//     except parts.rec and objects.segments, which hold metacodec's binary
//     form (also as the Pebble store does): those come by the thousand on
//     the multipart paths. objects.rec leaves Segments out, so that
//     listings never read a 10,000-segment manifest;
//   - objects.segments and object_versions.segments are STORAGE EXTERNAL, stored out of line without
//     compression: a manifest is mostly random hex IDs, which pglz spends
//     ~25 ms per 10,000 segments failing to compress;
//   - times that queries order or filter by are Unix nanoseconds (bigint):
//     timestamptz holds only microseconds, and the Pebble store orders
//     uploads by nanoseconds;
//   - the foreign keys are a backstop: the methods lock parent rows
//     themselves (see the package comment), the constraints make a bug
//     fail loudly instead of leaving an orphan.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE buckets (
	name bytea PRIMARY KEY,
	rec  bytea NOT NULL
);

CREATE TABLE objects (
	bucket   bytea NOT NULL REFERENCES buckets (name),
	key      bytea NOT NULL,
	rec      bytea NOT NULL,
	segments bytea,
	PRIMARY KEY (bucket, key)
);
-- (CREATE TABLE takes a column's STORAGE only from PostgreSQL 16 on.)
ALTER TABLE objects ALTER COLUMN segments SET STORAGE EXTERNAL;

CREATE TABLE uploads (
	id           bytea PRIMARY KEY,
	bucket       bytea NOT NULL REFERENCES buckets (name),
	key          bytea NOT NULL,
	initiated_ns bigint NOT NULL,
	rec          bytea NOT NULL
);
-- ListUploads order, and DeleteBucket's scan of a bucket's uploads.
CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated_ns, id);

CREATE TABLE parts (
	upload_id bytea NOT NULL REFERENCES uploads (id),
	number    bigint NOT NULL,
	blob_id   bytea NOT NULL,
	rec       bytea NOT NULL,
	PRIMARY KEY (upload_id, number)
);

CREATE TABLE completions (
	upload_id    bytea PRIMARY KEY,
	bucket       bytea NOT NULL,
	key          bytea NOT NULL,
	completed_ns bigint NOT NULL,
	rec          bytea NOT NULL
);
CREATE INDEX completions_by_time ON completions (completed_ns);

CREATE TABLE garbage (
	blob_id bytea PRIMARY KEY
);

CREATE TABLE bucket_configs (
	bucket bytea NOT NULL REFERENCES buckets (name),
	name   bytea NOT NULL,
	doc    bytea NOT NULL,
	PRIMARY KEY (bucket, name)
);

CREATE TABLE docs (
	kind bytea NOT NULL,
	id   bytea NOT NULL,
	doc  bytea NOT NULL,
	PRIMARY KEY (kind, id)
);
`,
	// 2: object versions. objects keeps each key's latest version (possibly
	// a delete marker), object_versions the noncurrent ones. rank is
	// meta.Rank(Seq): ascending is newest first, and a version ID encodes
	// it. Rows written before versions are the null version with Seq 0:
	// the defaults give them rank meta.Rank(0) and version_id 'null', and
	// are then dropped, so that every later write must give the columns
	// (the rows already there keep the values: PostgreSQL stores them as
	// the columns' missing values, without a rewrite).
	`
ALTER TABLE objects
	ADD COLUMN rank          bigint  NOT NULL DEFAULT 9223372036854775807,
	ADD COLUMN version_id    bytea   NOT NULL DEFAULT 'null',
	ADD COLUMN delete_marker boolean NOT NULL DEFAULT false;
ALTER TABLE objects
	ALTER COLUMN rank DROP DEFAULT,
	ALTER COLUMN version_id DROP DEFAULT,
	ALTER COLUMN delete_marker DROP DEFAULT;

CREATE TABLE object_versions (
	bucket     bytea  NOT NULL REFERENCES buckets (name),
	key        bytea  NOT NULL,
	rank       bigint NOT NULL,
	version_id bytea  NOT NULL,
	rec        bytea  NOT NULL,
	segments   bytea,
	PRIMARY KEY (bucket, key, rank)
);
ALTER TABLE object_versions ALTER COLUMN segments SET STORAGE EXTERNAL;
-- A key has at most one null version; finding the noncurrent one (which a
-- write on a bucket whose versioning is not Enabled replaces) is one probe.
-- Queries must spell the predicate as the literal 'null' to use it.
CREATE UNIQUE INDEX object_versions_null ON object_versions (bucket, key) WHERE version_id = 'null';
`,
	// 3: the cluster (cluster.go, lead.go, feed.go). Garbage recorded before
	// it gets since = '-infinity' (stored as the column's missing value,
	// without a rewrite): it is as old as garbage can be, so collectable.
	// New garbage is dated by clock_timestamp(), not now(): the time of the
	// insert is closer to the commit than the transaction's start, and a
	// collector's minAge must count from when the blob stopped being
	// referenced. Every time here is the database's clock, so gateways
	// with skewed clocks still agree on who is live.
	`
CREATE TABLE gateways (
	id      bytea       PRIMARY KEY,
	address text        NOT NULL,
	started timestamptz NOT NULL,
	beat    timestamptz NOT NULL,
	-- the change number up to which the gateway has delivered the feed
	seen    bigint      NOT NULL DEFAULT 0
);

CREATE TABLE leases (
	gateway bytea NOT NULL REFERENCES gateways (id) ON DELETE CASCADE,
	blob_id bytea NOT NULL,
	PRIMARY KEY (gateway, blob_id)
);
-- CollectableGarbage asks, per garbage blob, whether anyone leases it.
CREATE INDEX leases_by_blob ON leases (blob_id);

ALTER TABLE garbage ADD COLUMN since timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE garbage ALTER COLUMN since SET DEFAULT clock_timestamp();

-- Change numbers of the feed: Publish takes the next under feedLock.
CREATE SEQUENCE change_seq AS bigint MINVALUE 1;
`,
}

// migrationLock is the advisory lock key under which the schema is created
// or upgraded, so that gateways starting together do not race their DDL
// (concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique
// indexes). Advisory locks are per database.
const migrationLock int64 = 0x7465737365726130 // "tessera0"

// migrate brings the schema to len(migrations), in one transaction. The
// schema_version table keeps one row per applied version; the current
// version is the largest.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrateTo(ctx, pool, len(migrations))
}

// migrateTo brings the schema to version target (tests stop short of the
// latest, to test the later migrations on data).
func migrateTo(ctx context.Context, pool *pgxpool.Pool, target int) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return errorf("postgres: schema: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return errorf("postgres: schema: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version integer PRIMARY KEY,
		applied timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return errorf("postgres: schema: %w", err)
	}
	var cur int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return errorf("postgres: schema: read version: %w", err)
	}
	if cur > len(migrations) {
		return errorf("postgres: schema version %d is newer than this binary knows (%d); upgrade tessera", cur, len(migrations))
	}
	for v := cur; v < target; v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return errorf("postgres: schema: migrate to version %d: %w", v+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v+1); err != nil {
			return errorf("postgres: schema: record version %d: %w", v+1, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return errorf("postgres: schema: commit: %w", err)
	}
	return nil
}
