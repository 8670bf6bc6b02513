// Package tessera is an S3-compatible object storage server. The binary is
// cmd/tessera; the packages under internal/ are described in README.md.
package tessera
