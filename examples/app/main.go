// SPDX-License-Identifier: MPL-2.0

// Command app is an example application that reads its secrets from a
// secretstore store at start-up, through the public client package
// github.com/secretstore/terraform-provider-secretstore/secretstore, the
// way a service would read an API token that Terraform (or the secretstore
// CLI) wrote.
//
// It is configured by the environment variables of the provider and the
// CLI: SECRETSTORE_URL, SECRETSTORE_ROOT_KEY, SECRETSTORE_PREVIOUS_ROOT_KEYS,
// SECRETSTORE_ACTOR and SECRETSTORE_AUDIT_READS. It then serves HTTP on
// -addr, and answers GET / with 200 to a request that carries the token
// as "Authorization: Bearer TOKEN", and with 401 to any other. The token
// is the secret named by -token-secret (NAMESPACE/NAME), and every other
// environment variable whose value is a reference such as
// secretstore:acme:production/DB_PASSWORD is resolved too, as
// `secretstore exec` would, before the server starts.
//
// A secret that cannot be read stops the start-up with a message in the
// store's words and exit status 1. Nothing the program prints carries a
// value: secrets are described by name, revision and value ID.
//
//	SECRETSTORE_URL=file:///path/to/store SECRETSTORE_ROOT_KEY=... \
//	  go run ./examples/app -addr 127.0.0.1:8080 -token-secret acme:production/api-token
package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to serve HTTP on")
	tokenSecret := flag.String("token-secret", "acme:production/api-token", "secret (NAMESPACE/NAME) holding the bearer token clients must send")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("app: ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *tokenSecret); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// run reads the secrets, then serves until ctx is done.
func run(ctx context.Context, addr, tokenSecret string) error {
	token, err := loadToken(ctx, tokenSecret)
	if err != nil {
		return err
	}
	defer clear(token)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: authorized(token), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening on %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

// loadToken opens the store from the environment and reads the token.
// The store is closed before it returns: the value stays in memory, the
// key material is cleared.
func loadToken(ctx context.Context, tokenSecret string) ([]byte, error) {
	namespace, name, err := secretstore.SplitID(tokenSecret)
	if err != nil {
		return nil, fmt.Errorf("-token-secret: %w", err)
	}
	cfg, err := secretstore.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	store, err := secretstore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer store.Close()

	sec, err := store.Get(ctx, namespace, name)
	switch {
	case errors.Is(err, secretstore.ErrNotFound):
		return nil, fmt.Errorf("the token secret does not exist; write it first (secretstore put %s < token.txt): %w", tokenSecret, err)
	case err != nil:
		return nil, fmt.Errorf("reading the token: %w", err)
	}
	// A Secret prints without its value; the value ID tells which value
	// the program runs with without revealing it.
	log.Printf("loaded %v, value id %s", sec, sec.ValueID)
	return sec.Value, nil
}

// authorized answers 200 to requests bearing token and 401 to others,
// comparing in constant time.
func authorized(token []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), token) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintln(w, "hello, authorized client")
	})
}
