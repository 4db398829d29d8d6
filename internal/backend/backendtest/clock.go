package backendtest

import (
	"sync"
	"time"
)

// Clock is the one fake clock of the backend tests, passed as
// backend.Options.Now. It moves only when told to, in whole seconds unless
// told otherwise, so that every time it gives survives any storage
// precision. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock set to the current second (UTC).
func NewClock() *Clock {
	return NewClockAt(time.Unix(time.Now().Unix(), 0).UTC())
}

// NewClockAt returns a clock set to t.
func NewClockAt(t time.Time) *Clock {
	return &Clock{now: t}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// Step advances the clock by one second and returns the new time: as
// Options.Now it gives every call its own second.
func (c *Clock) Step() time.Time { return c.Advance(time.Second) }
