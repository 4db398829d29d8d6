// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// idLen is the length of an event or batch id (see newID).
const idLen = 24

var (
	idMu   sync.Mutex
	idLast int64
)

// newID returns an event or batch id: 16 hex digits of a process-wide,
// strictly increasing wall-clock nanosecond count, then 8 random hex
// digits. Events are ordered by time then id, so events written by one
// process at the same (possibly frozen, in tests) time keep the order they
// were written in, and ids from different processes cannot collide.
func newID() string {
	idMu.Lock()
	t := max(time.Now().UnixNano(), idLast+1)
	idLast = t
	idMu.Unlock()
	return fmt.Sprintf("%016x%s", uint64(t), randomID(4))
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}
