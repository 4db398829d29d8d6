// SPDX-License-Identifier: MPL-2.0

package backend

import "sync"

// lifecycle lets Close wait for the calls in progress before it clears key
// material, and refuses every call that starts later. A call that another
// call makes from inside the Store (Has calls Get) enters again; after
// Close has begun that inner call fails with ErrClosed and its caller
// returns the error.
type lifecycle struct {
	mu     sync.Mutex
	idle   sync.Cond // signalled when active drops to zero
	closed bool
	active int
}

// enter admits a call, or returns ErrClosed once Close has begun. Every
// nil return is paired with one leave.
func (s *Store) enter() error {
	l := &s.life
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.active++
	return nil
}

// leave ends a call admitted by enter.
func (s *Store) leave() {
	l := &s.life
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active--
	if l.active == 0 && l.idle.L != nil {
		l.idle.Broadcast()
	}
}

// shut refuses new calls and waits until the calls in progress return.
func (s *Store) shut() {
	l := &s.life
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.idle.L = &l.mu
	for l.active > 0 {
		l.idle.Wait()
	}
}
