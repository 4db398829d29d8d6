package backend

import (
	"net/url"
	"strings"
)

// RedactURL returns what errors and logs may show of a URL: its scheme,
// host and path, without userinfo, query or fragment (which may carry
// passwords, signatures or tokens). A string that does not parse as a URL
// is shown as "<unparsable URL>".
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	return redactedURL(u)
}

// RedactURLText replaces in msg every form in which a driver may print the
// URL raw (as given, or re-encoded by net/url) with RedactURL(raw), so that
// credentials in its userinfo or query never reach an error message.
func RedactURLText(msg, raw string) string {
	return redactText(msg, raw, RedactURL(raw))
}

// redactText replaces in msg every form of the URL raw with safe.
func redactText(msg, raw, safe string) string {
	if raw == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, raw, safe)
	if u, err := url.Parse(raw); err == nil {
		msg = strings.ReplaceAll(msg, u.String(), safe)
	}
	return msg
}

// redactedURL is u without userinfo, query or fragment.
func redactedURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// redactedError shows msg, from which credentials were removed, and still
// unwraps to the original error for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
