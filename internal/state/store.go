package state

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/restreamkit/restreamkit/api/gen/restreamapi"
	"github.com/restreamkit/restreamkit/internal/apierror"
	"github.com/restreamkit/restreamkit/internal/clock"
	"github.com/restreamkit/restreamkit/internal/randid"
)

// ChangeKind says what changed.
type ChangeKind string

// The changes a Store reports to its listener.
const (
	ChannelAdded   ChangeKind = "channel-added"
	ChannelUpdated ChangeKind = "channel-updated" // enabled or disabled
	ChannelRemoved ChangeKind = "channel-removed"
	EventChanged   ChangeKind = "event-changed" // created, started, finished, destinations added
	WorldReplaced  ChangeKind = "world-replaced"
)

// Change describes one change to a user's world, after it happened.
type Change struct {
	Kind   ChangeKind
	UserID int64
	// Channel is a copy of the channel for channel changes (before removal for ChannelRemoved).
	Channel *restreamapi.Channel
	// Before is the channel's previous state for ChannelUpdated.
	Before *restreamapi.Channel
	// Event is a copy of the event for EventChanged.
	Event *restreamapi.Event
}

// Store is the mock's world. It is safe for concurrent use: each user has a lock of their own, so
// requests of different users never wait for each other.
type Store struct {
	clock  *clock.Clock
	listen atomic.Pointer[func(Change)]

	mu        sync.RWMutex // guards the fields below; held for writing only to replace the world
	seed      World        // what Reset goes back to
	platforms []restreamapi.Platform
	servers   []restreamapi.Server
	users     map[int64]*userState
	order     []int64 // user ids in seed order

	nextChannelID atomic.Int64 // channel ids are unique across users

	// ids draws the ids and keys the store makes (events, destinations, event stream keys,
	// Studio captions and QR codes):
	// random by default, repeatable after SeedIDs.
	ids atomic.Pointer[randid.Source]
}

// userState is one user's data behind its own lock.
type userState struct {
	mu   sync.RWMutex
	data User
}

// New builds a store seeded with w. The world is copied; later changes to w do not reach the store.
func New(w World, c *clock.Clock) (*Store, error) {
	if c == nil {
		c = clock.New()
	}
	s := &Store{clock: c}
	s.ids.Store(randid.NewSource(0))
	if err := s.replace(w, true); err != nil {
		return nil, err
	}
	return s, nil
}

// SeedIDs makes the ids and keys the store makes from now on repeatable: two stores seeded
// alike and given the same requests make the same event ids, destination ids and event stream
// keys. 0 goes back to random ids. A Reset keeps the source where it is.
func (s *Store) SeedIDs(seed uint64) { s.ids.Store(randid.NewSource(seed)) }

// OnChange sets the function told about every change, after the change and outside any lock.
// It replaces the previous listener; nil removes it.
func (s *Store) OnChange(fn func(Change)) {
	if fn == nil {
		s.listen.Store(nil)
		return
	}
	s.listen.Store(&fn)
}

func (s *Store) notify(ch Change) {
	if fn := s.listen.Load(); fn != nil {
		(*fn)(ch)
	}
}

// Reset restores the world the store was seeded with.
func (s *Store) Reset() {
	s.mu.RLock()
	seed := s.seed
	s.mu.RUnlock()
	if err := s.replace(seed, false); err != nil {
		panic(fmt.Sprintf("state: the seed world became invalid: %v", err)) // it was checked by New
	}
	s.notify(Change{Kind: WorldReplaced})
}

// Import replaces the whole world with w, which must be consistent (see Check). The seed that
// Reset returns to is not changed.
func (s *Store) Import(w World) error {
	if err := s.replace(w, false); err != nil {
		return err
	}
	s.notify(Change{Kind: WorldReplaced})
	return nil
}

// Export returns a deep copy of the whole world.
func (s *Store) Export() World {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w := World{Platforms: slices.Clone(s.platforms), Servers: slices.Clone(s.servers)}
	for _, id := range s.order {
		u := s.users[id]
		u.mu.RLock()
		w.Users = append(w.Users, u.data)
		u.mu.RUnlock()
	}
	return deepCopy(w)
}

// Users returns the profiles of every user, in seed order.
func (s *Store) Users() []restreamapi.Profile {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]restreamapi.Profile, 0, len(s.order))
	for _, id := range s.order {
		u := s.users[id]
		u.mu.RLock()
		out = append(out, u.data.Profile)
		u.mu.RUnlock()
	}
	return out
}

// HasUser reports whether the user exists.
func (s *Store) HasUser(id int64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.users[id]
	return ok
}

func (s *Store) replace(w World, asSeed bool) error {
	w, err := prepare(w)
	if err != nil {
		return err
	}
	users := make(map[int64]*userState, len(w.Users))
	order := make([]int64, 0, len(w.Users))
	var maxChannel int64
	for _, u := range w.Users {
		users[u.Profile.Id] = &userState{data: u}
		order = append(order, u.Profile.Id)
		for _, c := range u.Channels {
			maxChannel = max(maxChannel, c.Id)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if asSeed {
		s.seed = deepCopy(w)
	}
	s.platforms, s.servers, s.users, s.order = w.Platforms, w.Servers, users, order
	// New ids keep rising across worlds, so that an id is not handed out twice, unless that
	// would leave less than ChannelIDReserve: then they start again after the new world's ids.
	next := max(maxChannel+1, firstChannelID)
	if cur := s.nextChannelID.Load(); cur > next && cur <= MaxImportedChannelID+1 {
		next = cur
	}
	s.nextChannelID.Store(next)
	return nil
}

// newChannelID hands out the next channel id, or refuses once every id up to MaxID is taken:
// ids never wrap.
func (s *Store) newChannelID() (int64, error) {
	for {
		id := s.nextChannelID.Load()
		if id > MaxID {
			return 0, apierror.Newf(http.StatusConflict, "channel_ids_exhausted",
				"ChannelIdsExhausted: every channel id up to %d is taken; reset or import a world with smaller ids", MaxID)
		}
		if s.nextChannelID.CompareAndSwap(id, id+1) {
			return id, nil
		}
	}
}

// user returns the state of a user, or a 401: a token can outlive its user after an import.
func (s *Store) user(id int64) (*userState, error) {
	s.mu.RLock()
	u := s.users[id]
	s.mu.RUnlock()
	if u == nil {
		return nil, apierror.New(http.StatusUnauthorized, apierror.NameInvalidToken, "Invalid token: access token is invalid")
	}
	return u, nil
}

// read runs fn with the user's data locked for reading.
func (s *Store) read(uid int64, fn func(u *User) error) error {
	u, err := s.user(uid)
	if err != nil {
		return err
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return fn(&u.data)
}

// write runs fn with the user's data locked for writing. fn must leave the data unchanged when it
// returns an error, so that a rejected request changes nothing.
func (s *Store) write(uid int64, fn func(u *User) error) error {
	u, err := s.user(uid)
	if err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return fn(&u.data)
}

// Platforms returns the public platform list.
func (s *Store) Platforms() []restreamapi.Platform {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.platforms)
}

// Servers returns the public ingest server list.
func (s *Store) Servers() []restreamapi.Server {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.servers)
}

// Profile returns the user's profile.
func (s *Store) Profile(uid int64) (restreamapi.Profile, error) {
	var p restreamapi.Profile
	err := s.read(uid, func(u *User) error { p = u.Profile; return nil })
	return p, err
}

// Ingest returns the user's selected ingest server id.
func (s *Store) Ingest(uid int64) (int, error) {
	var id int
	err := s.read(uid, func(u *User) error { id = u.IngestID; return nil })
	return id, err
}

// StreamKey returns the user's RTMP key and SRT URL.
func (s *Store) StreamKey(uid int64) (restreamapi.StreamKey, error) {
	var k restreamapi.StreamKey
	err := s.read(uid, func(u *User) error { k = u.StreamKey; return nil })
	return k, err
}

// WebchatURL returns the user's embeddable chat URL.
func (s *Store) WebchatURL(uid int64) (string, error) {
	var url string
	err := s.read(uid, func(u *User) error { url = u.WebchatURL; return nil })
	return url, err
}

// deepCopy copies a value through JSON, which is how snapshots travel anyway.
func deepCopy[T any](v T) T {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("state: copying %T: %v", v, err))
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		panic(fmt.Sprintf("state: copying %T: %v", v, err))
	}
	return out
}

// notFound builds the 404 of a missing resource, named the way Restream's newer endpoints name
// them: message in PascalCase, name in snake_case.
func notFound(message, name string) *apierror.Error {
	return apierror.New(http.StatusNotFound, name, message)
}
