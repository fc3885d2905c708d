package oauth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestTheServerIsSafeUnderConcurrentUse runs every kind of call at once; with -race it finds
// unsynchronised access, and each worker checks that its own tokens behave.
func TestTheServerIsSafeUnderConcurrentUse(t *testing.T) {
	s, clk := newTestServer(t, func(o *Options) { o.MaxTokens = 10000 })
	const workers, rounds = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*4)
	report := func(format string, args ...any) { errs <- fmt.Errorf(format, args...) }

	for w := range workers {
		// Issue, authenticate and rotate a pair of one's own.
		wg.Go(func() {
			user := []int64{nova.ID, orbit.ID}[w%2]
			p, err := s.Issue(user, devClient.ID, AllScopes)
			if err != nil {
				report("Issue: %v", err)
				return
			}
			for range rounds {
				g, err := s.AuthenticateHeader("Bearer " + p.AccessToken)
				if err != nil || g.UserID != user {
					report("authenticate own token: %+v, %v", g, err)
					return
				}
				next, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken))
				if err != nil {
					report("refresh: %v", err)
					return
				}
				if _, err := s.AuthenticateToken(p.AccessToken); err == nil {
					report("a rotated access token still works")
					return
				}
				p = next
			}
			s.Revoke(p.RefreshToken)
			if _, err := s.AuthenticateToken(p.AccessToken); err == nil {
				report("a revoked access token still works")
			}
		})
		// Run the browser flow.
		wg.Go(func() {
			for i := range rounds / 4 {
				c, err := s.Authorize(AuthorizeRequest{ResponseType: "code", ClientID: devClient.ID, RedirectURI: devRedirect, State: fmt.Sprint(w, i)})
				if err != nil {
					report("Authorize: %v", err)
					return
				}
				loc, err := s.Decide(Decision{RequestID: c.RequestID, Approve: true})
				if err != nil {
					report("Decide: %v", err)
					return
				}
				_ = loc
			}
		})
		// Two refreshes of one token race; exactly one may win.
		wg.Go(func() {
			p, err := s.Issue(nova.ID, devClient.ID, AllScopes)
			if err != nil {
				report("Issue: %v", err)
				return
			}
			var inner sync.WaitGroup
			results := make(chan error, 2)
			for range 2 {
				inner.Go(func() {
					_, err := s.Token(basicAuth(devClient), refreshForm(p.RefreshToken))
					results <- err
				})
			}
			inner.Wait()
			close(results)
			wins := 0
			for err := range results {
				if err == nil {
					wins++
				}
			}
			if wins != 1 {
				report("%d of two racing refreshes succeeded, want exactly 1", wins)
			}
		})
		// Readers of control state, and a clock that moves a little.
		wg.Go(func() {
			for range rounds {
				_ = s.Stats()
				_, _ = s.Accounts()
				_ = s.Clients()
				_ = s.AutoApprove()
				s.SetAutoApprove(w%2 == 0)
				_, _ = s.AuthenticateToken("0000000000000000000000000000000000000000")
				clk.Advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRevocationRacesWithAuthentication revokes users while others authenticate.
func TestRevocationRacesWithAuthentication(t *testing.T) {
	s, _ := newTestServer(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				p, err := s.Issue(orbit.ID, devClient.ID, AllScopes)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = s.AuthenticateToken(p.AccessToken)
				_, _ = s.Token(basicAuth(devClient), refreshForm(p.RefreshToken))
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			s.RevokeUser(orbit.ID)
			if err := s.SetAccounts([]Account{nova, orbit}, 0); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	s.RevokeAll()
	if st := s.Stats(); st != (Stats{}) {
		t.Fatalf("Stats after RevokeAll = %+v", st)
	}
}
