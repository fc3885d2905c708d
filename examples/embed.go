// Package examples embeds the example files of the Restream API: one JSON file per operation of
// openapi/restream-openapi.yml (operations/<operationId>.json, each holding named request and
// response pairs) and the mock-only OAuth seed (mock/oauth.json).
//
// The same files document every operation and seed restream-mock's initial world (users,
// channels, events, keys, storage, clips), so what the documentation shows is what the mock
// serves. internal/fixtures owns the rules they keep (every example matches the spec; together
// they describe one consistent world) and checks them each time it loads them.
package examples

import "embed"

// FS holds operations/*.json and mock/oauth.json at the same relative paths as in this
// directory.
//
//go:embed operations mock
var FS embed.FS
