// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/storeconfig"
)

// storeAPI is the store the commands use.
type storeAPI = *backend.Store

// open opens the store once per run, from the flags and the environment
// (see config), for a command that writes: a bucket that holds no store
// yet opens as an empty store, which the first write creates.
func (a *app) open(ctx context.Context) (storeAPI, error) {
	return a.openStore(ctx, false)
}

// openExisting opens the store once per run for a command that only
// reads: a bucket that holds no store (a mistyped URL) is ErrNotFound,
// naming the URL, and nothing is created there.
func (a *app) openExisting(ctx context.Context) (storeAPI, error) {
	return a.openStore(ctx, true)
}

func (a *app) openStore(ctx context.Context, requireStore bool) (storeAPI, error) {
	if a.store != nil {
		return a.store, nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	s, err := backend.Open(ctx, backend.Options{
		BucketURL:        cfg.URL,
		RootKey:          cfg.RootKey,
		PreviousRootKeys: cfg.PreviousRootKeys,
		Actor:            cfg.Actor,
		RequireStore:     requireStore,
	})
	if err != nil {
		if requireStore && errors.Is(err, backend.ErrNotFound) {
			return nil, fmt.Errorf("no secret store at %s: is it the right URL (--url or %s)? %w",
				backend.RedactURL(cfg.URL), storeconfig.EnvURL, err)
		}
		return nil, fmt.Errorf("opening the store at %s: %w", backend.RedactURL(cfg.URL), err)
	}
	a.store = s
	a.auditReads = cfg.AuditReads
	return s, nil
}

// config is the store's configuration: storeconfig's variables, as the
// provider reads them, overridden by --url and --root-key-file, with the
// default store ./.secretstore when no URL is given and it exists. A
// missing root key or store is a usage error.
func (a *app) config() (storeconfig.Config, error) {
	cfg, err := storeconfig.FromEnv(a.io.getenv)
	if err != nil {
		return storeconfig.Config{}, &usageError{msg: err.Error()}
	}
	if a.url != "" {
		if err := storeconfig.CheckURL(a.url); err != nil {
			return storeconfig.Config{}, &usageError{msg: fmt.Sprintf("--url %s is not usable: %v", backend.RedactURL(a.url), err)}
		}
		cfg.URL = a.url
	}
	if cfg.URL == "" {
		dir, err := defaultStoreDir()
		if err != nil {
			return storeconfig.Config{}, err
		}
		cfg.URL = storeconfig.FileURL(dir)
	}
	if a.rootKeyFile != "" {
		key, err := os.ReadFile(a.rootKeyFile)
		if err != nil {
			return storeconfig.Config{}, &usageError{msg: fmt.Sprintf("--root-key-file: %v", err)}
		}
		cfg.RootKey = strings.TrimSpace(string(key))
		clear(key)
		if err := backend.CheckRootKey(backend.FieldRootKey, 0, cfg.RootKey); err != nil {
			return storeconfig.Config{}, &usageError{msg: fmt.Sprintf("--root-key-file %s: %v", a.rootKeyFile, err)}
		}
	}
	if cfg.RootKey == "" {
		return storeconfig.Config{}, &usageError{msg: "no root key: set " + storeconfig.EnvRootKey + " or use --root-key-file (a root key is never taken from the command line)"}
	}
	return cfg, nil
}

// defaultStoreDir is the provider's default store, ./.secretstore, when it
// exists: a command never creates a store where none was configured.
func defaultStoreDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(wd, storeconfig.DefaultStoreDir)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", &usageError{msg: "no store: set " + storeconfig.EnvURL + " or use --url (the default, ./" + storeconfig.DefaultStoreDir + ", does not exist here)"}
	}
	return dir, nil
}
