// Package examples embeds the example files of the Restream API: one JSON file per operation of
// openapi/restream-openapi.yml (operations/<operationId>.json, each holding named request and
// response pairs) and the mock-only OAuth seed (mock/oauth.json).
//
// The same files document every operation and seed restream-mock's initial world (users,
// channels, events, keys, storage, clips), so what the documentation shows is what the mock
// serves. examples_test.go checks every example against the spec and checks that the seeding
// data is consistent across operations.
package examples

import "embed"

// FS holds operations/*.json and mock/oauth.json at the same relative paths as in this
// directory.
//
//go:embed operations mock
var FS embed.FS
