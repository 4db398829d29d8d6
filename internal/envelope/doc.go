// Package envelope is the project's cryptography: sealing values under data
// keys, wrapping data keys under key versions, key check values and the
// canonical AAD encoding. It performs no I/O.
package envelope
