package oauth

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Scope
		ok   bool
	}{
		{"the canonical spelling is accepted", "channels.read", ChannelsRead, true},
		{"the default spelling is the same scope", "channels.default.read", ChannelsRead, true},
		{"the singular channel spelling is the same scope", "channel.read", ChannelsRead, true},
		{"the singular default spelling is the same scope", "channel.default.write", ChannelsWrite, true},
		{"a default write spelling is accepted", "chat.default.write", ChatWrite, true},
		{"studio scopes are known", "studio.write", StudioWrite, true},
		{"an empty name is unknown", "", 0, false},
		{"a resource without access is unknown", "channels", 0, false},
		{"an access Restream does not have is unknown", "channels.delete", 0, false},
		{"profile has no write scope", "profile.write", 0, false},
		{"profile has no default write scope either", "profile.default.write", 0, false},
		{"names are case-sensitive", "Channels.read", 0, false},
		{"surrounding space is not trimmed", " channels.read", 0, false},
		{"there is no events scope", "events.read", 0, false},
		{"only channels has a singular spelling", "clip.read", 0, false},
		{"an empty middle part is unknown", "channels..read", 0, false},
		{"default twice is unknown", "channels.default.default.read", 0, false},
		{"a trailing dot is unknown", "channels.read.", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseScope(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("ParseScope(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEverySpellingOfEveryScopeParsesToTheSameScope(t *testing.T) {
	for s := ProfileRead; s <= maxScope; s++ {
		res, access, _ := strings.Cut(s.String(), ".")
		spellings := []string{res + "." + access, res + ".default." + access}
		if res == "channels" {
			spellings = append(spellings, "channel."+access, "channel.default."+access)
		}
		for _, sp := range spellings {
			if got, ok := ParseScope(sp); !ok || got != s {
				t.Errorf("ParseScope(%q) = %v, %v; want %v", sp, got, ok, s)
			}
		}
	}
}

func TestEveryScopeHasACanonicalNameAndADescription(t *testing.T) {
	seen := map[string]bool{}
	for s := ProfileRead; s <= maxScope; s++ {
		if s.String() == "" || s.Description() == "" {
			t.Errorf("scope %d: name %q, description %q", s, s.String(), s.Description())
		}
		if seen[s.String()] {
			t.Errorf("name %q is used twice", s.String())
		}
		seen[s.String()] = true
	}
	if len(seen) != 12 {
		t.Errorf("got %d scopes, want the 12 Restream documents", len(seen))
	}
	for _, bad := range []Scope{0, maxScope + 1, 255} {
		if bad.Valid() || bad.String() != "" || bad.Description() != "" {
			t.Errorf("invalid scope %d reports valid=%v name %q description %q", bad, bad.Valid(), bad.String(), bad.Description())
		}
	}
}

func TestParseScopes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ScopeSet
	}{
		{"an empty list is the empty set", "", 0},
		{"a list of only separators is the empty set", " , ,", 0},
		{"one name", "profile.read", NewScopeSet(ProfileRead)},
		{"space-separated names", "profile.read channels.default.read", NewScopeSet(ProfileRead, ChannelsRead)},
		{"comma-separated names", "profile.read,stream.write", NewScopeSet(ProfileRead, StreamWrite)},
		{"commas with spaces", "profile.read, stream.write ,chat.read", NewScopeSet(ProfileRead, StreamWrite, ChatRead)},
		{"repeats in different spellings collapse", "channel.read channels.read channels.default.read", NewScopeSet(ChannelsRead)},
		{"tabs and newlines separate too", "clips.read\tclips.write\nstudio.read", NewScopeSet(ClipsRead, ClipsWrite, StudioRead)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScopes(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("ParseScopes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseScopesRejectsAnUnknownNameAndQuotesIt(t *testing.T) {
	_, err := ParseScopes("profile.read events.read")
	wantError(t, err, 400, "invalid_scope", `Invalid scope: "events.read" is not a known scope`)
}

func TestParseScopesShortensALongUnknownName(t *testing.T) {
	long := strings.Repeat("x", 500)
	_, err := ParseScopes(long)
	e := wantError(t, err, 400, "invalid_scope", `Invalid scope: "`+strings.Repeat("x", maxEchoedScope)+`…" is not a known scope`)
	if len(e.Message) > 200 {
		t.Fatalf("message is %d bytes long", len(e.Message))
	}
}

func TestScopeSetOperations(t *testing.T) {
	read := NewScopeSet(ProfileRead, ChannelsRead, StreamRead)
	t.Run("Has reports members only", func(t *testing.T) {
		if !read.Has(ChannelsRead) || read.Has(ChannelsWrite) || read.Has(0) || read.Has(maxScope+1) {
			t.Fatal("Has is wrong")
		}
	})
	t.Run("Contains accepts subsets and rejects supersets", func(t *testing.T) {
		if !read.Contains(NewScopeSet(ProfileRead, StreamRead)) || !read.Contains(0) || !read.Contains(read) {
			t.Fatal("Contains rejects a subset")
		}
		if read.Contains(read.With(ClipsRead)) {
			t.Fatal("Contains accepts a superset")
		}
	})
	t.Run("Intersect keeps the common scopes", func(t *testing.T) {
		if got := read.Intersect(NewScopeSet(StreamRead, StreamWrite)); got != NewScopeSet(StreamRead) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("With ignores invalid scopes", func(t *testing.T) {
		if read.With(0) != read || read.With(maxScope+1) != read {
			t.Fatal("With added an invalid scope")
		}
	})
	t.Run("Len and Empty count members", func(t *testing.T) {
		if read.Len() != 3 || read.Empty() || !ScopeSet(0).Empty() || AllScopes.Len() != 12 {
			t.Fatalf("Len %d, AllScopes.Len %d", read.Len(), AllScopes.Len())
		}
	})
	t.Run("List is in canonical order whatever the insertion order", func(t *testing.T) {
		got := NewScopeSet(StudioWrite, ProfileRead, ChatRead).List()
		if !slices.Equal(got, []Scope{ProfileRead, ChatRead, StudioWrite}) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("String is space-separated canonical names", func(t *testing.T) {
		got := NewScopeSet(ChannelsWrite, ProfileRead, ChannelsRead).String()
		if got != "profile.read channels.read channels.write" {
			t.Fatalf("got %q", got)
		}
		if ScopeSet(0).String() != "" {
			t.Fatal("the empty set has a non-empty string")
		}
	})
	t.Run("String of every scope parses back to every scope", func(t *testing.T) {
		back, err := ParseScopes(AllScopes.String())
		if err != nil || back != AllScopes {
			t.Fatalf("got %v, %v", back, err)
		}
	})
}

func TestScopeSetRoundTripsThroughJSON(t *testing.T) {
	in := struct {
		S ScopeSet `json:"s"`
	}{NewScopeSet(ChatRead, ClipsWrite)}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"s":"chat.read clips.write"}` {
		t.Fatalf("encoded %s", b)
	}
	var out struct {
		S ScopeSet `json:"s"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.S != in.S {
		t.Fatalf("decoded %v, %v", out.S, err)
	}
	if err := json.Unmarshal([]byte(`{"s":"nope.read"}`), &out); err == nil {
		t.Fatal("an unknown scope decoded")
	}
}
