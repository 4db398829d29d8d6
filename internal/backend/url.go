// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// openBucketURL opens a bucket URL. file:// URLs get the local writer and a
// fileblob reader that writes no sidecar files; their directory is created
// when create is set, and is otherwise a *missingDirError when missing.
func openBucketURL(ctx context.Context, raw string, create bool) (*blob.Bucket, *createonly.Dir, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, credentials included; show
		// only the reason.
		reason := err
		var uerr *url.Error
		if errors.As(err, &uerr) {
			reason = uerr.Err
		}
		return nil, nil, invalid(FieldBucketURL, "is not a valid URL (%v); give a bucket URL such as file:///path/to/dir, s3://bucket, gs://bucket, azblob://container or mem://", reason)
	}
	if u.Scheme != fileblob.Scheme {
		if cloudBucketSchemes[strings.ToLower(u.Scheme)] && u.Host == "" {
			return nil, nil, fmt.Errorf("bucket URL %s://: %w", strings.ToLower(u.Scheme), ErrNoBucketName)
		}
		b, err := blob.OpenBucket(ctx, raw)
		if err != nil {
			safe := redactedURL(u)
			if strings.EqualFold(u.Scheme, "azblob") && noStorageAccount(u) {
				err = fmt.Errorf("%w: %w", ErrNoStorageAccount, err)
			}
			return nil, nil, &redactedError{msg: "opening bucket " + safe + ": " + redactText(err.Error(), raw, safe), err: err}
		}
		return b, nil, nil
	}
	if u.Host != "" && u.Host != "." && u.Host != "localhost" {
		return nil, nil, invalid(FieldBucketURL, "file URL has host %q; use file:///absolute/path or file://./relative/path", u.Host)
	}
	for k := range u.Query() {
		// create_dir and no_tmp_dir describe what the store does anyway.
		if k != "create_dir" && k != "no_tmp_dir" {
			return nil, nil, invalid(FieldBucketURL, "file URL parameter %q is not supported; the store chooses its own file options", k)
		}
	}
	p := u.Path
	if u.Host == "." || os.PathSeparator != '/' {
		p = strings.TrimPrefix(p, "/")
	}
	if p == "" {
		return nil, nil, invalid(FieldBucketURL, "file URL has no path; use file:///absolute/path or file://./relative/path")
	}
	dir, err := filepath.Abs(filepath.FromSlash(p))
	if err != nil {
		return nil, nil, invalid(FieldBucketURL, "cannot resolve %q: %v", p, err)
	}
	if !create {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return nil, nil, &missingDirError{dir: dir}
		}
	} else if err := os.MkdirAll(dir, createonly.DirMode); err != nil {
		return nil, nil, fmt.Errorf("creating store directory %s: %w", dir, err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		return nil, nil, fmt.Errorf("opening store directory %s: %w", dir, err)
	}
	w, err := createonly.OpenDir(dir)
	if err != nil {
		_ = b.Close()
		return nil, nil, fmt.Errorf("opening store directory %s: %w", dir, err)
	}
	return b, w, nil
}

// cloudBucketSchemes are the bucket URL schemes whose host is the bucket
// (or container) name.
var cloudBucketSchemes = map[string]bool{"s3": true, "gs": true, "azblob": true}

// noStorageAccount reports whether the azblob:// URL u leaves the Azure
// storage account unnamed: no storage_account parameter and no
// AZURE_STORAGE_ACCOUNT, which the azblob driver requires whatever the
// credentials.
func noStorageAccount(u *url.URL) bool {
	return u.Query().Get("storage_account") == "" && os.Getenv("AZURE_STORAGE_ACCOUNT") == ""
}

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

// missingDirError reports a file:// store directory that does not exist.
// It unwraps to ErrNotFound.
type missingDirError struct{ dir string }

func (e *missingDirError) Error() string {
	return "store directory " + e.dir + " does not exist: " + ErrNotFound.Error()
}

func (e *missingDirError) Unwrap() error { return ErrNotFound }
