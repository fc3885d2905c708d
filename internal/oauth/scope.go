package oauth

import (
	"math/bits"
	"strings"

	"github.com/restreamkit/restreamkit/internal/apierror"
)

// Scope is one Restream permission. Restream spells the same permission several ways
// (channels.read, channels.default.read, channel.read, channel.default.read); a Scope is the
// permission itself, and String gives its canonical spelling. The zero Scope is no permission.
type Scope uint8

// The permissions Restream documents. Events use the stream scopes; there is no events scope.
const (
	ProfileRead   Scope = iota + 1 // GET /user/profile
	ChannelsRead                   // channels, channel metadata, selected ingest
	ChannelsWrite                  // enable, disable, add, delete channels; edit metadata
	StreamRead                     // stream keys, events, analytics
	StreamWrite                    // create events, add event destinations
	ChatRead                       // web chat URL, chat history, chat WebSocket
	ChatWrite                      // send chat messages
	StorageRead                    // storage files, recordings, transcriptions
	ClipsRead                      // clip projects and clip downloads
	ClipsWrite                     // create clip projects
	StudioRead                     // Studio assets
	StudioWrite                    // change Studio assets

	maxScope = StudioWrite
)

// scopeInfo is what the package knows of one scope: its canonical parts and the sentence the
// consent page shows.
type scopeInfo struct {
	resource, access string // "channels", "read"
	description      string
}

var scopeInfos = [maxScope + 1]scopeInfo{
	ProfileRead:   {"profile", "read", "See your profile: user id, username and email"},
	ChannelsRead:  {"channels", "read", "See your channels, their titles and your selected ingest server"},
	ChannelsWrite: {"channels", "write", "Add, remove, enable and disable your channels and edit their titles"},
	StreamRead:    {"stream", "read", "See your stream keys, events and event analytics"},
	StreamWrite:   {"stream", "write", "Create events and add destinations to them"},
	ChatRead:      {"chat", "read", "Read your chat and chat history"},
	ChatWrite:     {"chat", "write", "Send chat messages for you"},
	StorageRead:   {"storage", "read", "See your stored videos, recordings and transcriptions"},
	ClipsRead:     {"clips", "read", "See your clip projects and download clips"},
	ClipsWrite:    {"clips", "write", "Create clip projects from your videos"},
	StudioRead:    {"studio", "read", "See your Studio brands, captions, QR codes, tickers, fonts and music"},
	StudioWrite:   {"studio", "write", "Add, change, reorder and delete your Studio captions, QR codes and tickers"},
}

// Valid reports whether s is one of the known scopes.
func (s Scope) Valid() bool { return s >= ProfileRead && s <= maxScope }

// String returns the canonical spelling, such as "channels.read", or "" for an invalid scope.
func (s Scope) String() string {
	if !s.Valid() {
		return ""
	}
	return canonicalNames[s]
}

// Description is the human sentence the consent page shows for s.
func (s Scope) Description() string {
	if !s.Valid() {
		return ""
	}
	return scopeInfos[s].description
}

// canonicalNames caches "resource.access" so String does not allocate.
var canonicalNames = func() (n [maxScope + 1]string) {
	for s := ProfileRead; s <= maxScope; s++ {
		n[s] = scopeInfos[s].resource + "." + scopeInfos[s].access
	}
	return n
}()

// ParseScope reads one scope name in any spelling Restream uses: "x.read", "x.default.read",
// "x.write", "x.default.write", and for channels also the singular "channel.…". Names are
// case-sensitive, as Restream's are.
func ParseScope(name string) (Scope, bool) {
	resource, rest, ok := strings.Cut(name, ".")
	if !ok {
		return 0, false
	}
	// "default." between resource and access is an alternative spelling seen in real grants.
	access, ok := strings.CutPrefix(rest, "default.")
	if !ok {
		access = rest
	}
	if resource == "channel" {
		resource = "channels"
	}
	for s := ProfileRead; s <= maxScope; s++ {
		if scopeInfos[s].resource == resource && scopeInfos[s].access == access {
			return s, true
		}
	}
	return 0, false
}

// ScopeSet is a set of scopes as a bitset: bit n is Scope n. The zero value is the empty set.
// It is comparable and cheap to copy, so grants carry it by value.
type ScopeSet uint16

// AllScopes holds every known scope.
const AllScopes ScopeSet = (1<<(maxScope+1) - 1) &^ 1

// NewScopeSet returns the set of the given scopes; invalid scopes are ignored.
func NewScopeSet(scopes ...Scope) ScopeSet {
	var set ScopeSet
	for _, s := range scopes {
		set = set.With(s)
	}
	return set
}

// With returns set plus s (set itself when s is invalid).
func (set ScopeSet) With(s Scope) ScopeSet {
	if !s.Valid() {
		return set
	}
	return set | 1<<s
}

// Has reports whether s is in the set.
func (set ScopeSet) Has(s Scope) bool { return s.Valid() && set&(1<<s) != 0 }

// Contains reports whether every scope of other is in the set.
func (set ScopeSet) Contains(other ScopeSet) bool { return other&^set == 0 }

// Intersect returns the scopes in both sets.
func (set ScopeSet) Intersect(other ScopeSet) ScopeSet { return set & other }

// Len returns how many scopes the set holds.
func (set ScopeSet) Len() int { return bits.OnesCount16(uint16(set & AllScopes)) }

// Empty reports whether the set holds no scope.
func (set ScopeSet) Empty() bool { return set&AllScopes == 0 }

// List returns the scopes in canonical order (the order of the constants).
func (set ScopeSet) List() []Scope {
	out := make([]Scope, 0, set.Len())
	for s := ProfileRead; s <= maxScope; s++ {
		if set.Has(s) {
			out = append(out, s)
		}
	}
	return out
}

// String returns the canonical names, space-separated, in canonical order, as the token
// endpoint's "scope" field spells a list.
func (set ScopeSet) String() string {
	var b strings.Builder
	for _, s := range set.List() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// MarshalText encodes the set as String does, so a set can sit in JSON state snapshots.
func (set ScopeSet) MarshalText() ([]byte, error) { return []byte(set.String()), nil }

// UnmarshalText decodes a list ParseScopes accepts.
func (set *ScopeSet) UnmarshalText(text []byte) error {
	parsed, err := ParseScopes(string(text))
	if err != nil {
		return err
	}
	*set = parsed
	return nil
}

// NameInvalidScope is the error name for an unknown or unusable scope (RFC 6749 §4.1.2.1).
const NameInvalidScope = "invalid_scope"

// maxEchoedScope bounds how much of a bad scope name an error message repeats.
const maxEchoedScope = 64

// ParseScopes reads a list of scope names separated by spaces and/or commas (the token
// endpoint spells lists with spaces, the authorize redirect with commas). Any spelling
// ParseScope accepts is allowed and repeats are harmless. An empty list is the empty set. An
// unknown name is a 400 invalid_scope error that quotes the name.
func ParseScopes(list string) (ScopeSet, error) {
	var set ScopeSet
	for name := range strings.FieldsFuncSeq(list, isScopeSeparator) {
		s, ok := ParseScope(name)
		if !ok {
			if len(name) > maxEchoedScope {
				name = name[:maxEchoedScope] + "…"
			}
			return 0, apierror.Newf(400, NameInvalidScope, "Invalid scope: %q is not a known scope", name)
		}
		set = set.With(s)
	}
	return set, nil
}

func isScopeSeparator(r rune) bool {
	return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r'
}
