// Package crashtest holds the power-loss test of the engine over the blob
// store and the Pebble metadata store, both on one crashable in-memory
// vfs.FS: a seeded sequence of S3 operations is cut at the N-th file-system
// mutation, only what was synced survives, and the reopened stores must
// hold every acknowledged write, no half write, no resurrected delete and
// no leaked blob. The package has no code of its own; see its tests.
package crashtest
