// SPDX-License-Identifier: MPL-2.0

// Package interop holds the tests of the provider, the secretstore command
// and the public client together over one store: what one writes, the
// others read; a rotation by one, the others see; verify reports what a
// bucket writer damaged; and no value reaches an output, a stderr, the
// bucket or the state in clear. The provider runs in-process under the
// real terraform binary; the command is built once and run as a separate
// process, as a user runs it.
package interop
