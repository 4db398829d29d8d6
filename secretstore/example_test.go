// SPDX-License-Identifier: MPL-2.0

package secretstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

// exampleStore writes, as Terraform would, a store with two secrets into
// a temporary directory, and points the environment at it.
func exampleStore() (cleanup func()) {
	dir, err := os.MkdirTemp("", "secretstore-example")
	if err != nil {
		log.Fatal(err)
	}
	rootKey := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // openssl rand -base64 32
	ctx := context.Background()
	b, err := backend.Open(ctx, backend.Options{BucketURL: "file://" + dir, RootKey: rootKey, Actor: "terraform"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := b.CreateKeyVersion(ctx, 1, nil); err != nil {
		log.Fatal(err)
	}
	for name, value := range map[string]string{"OPENAI_API_KEY": "sk-example", "DB_PASSWORD": "hunter2"} {
		if _, err := b.Put(ctx, backend.PutInput{Namespace: "acme:production", Name: name, Value: []byte(value)}); err != nil {
			log.Fatal(err)
		}
	}
	_ = b.Close()
	os.Setenv(secretstore.EnvURL, "file://"+dir)
	os.Setenv(secretstore.EnvRootKey, rootKey)
	return func() {
		os.Unsetenv(secretstore.EnvURL)
		os.Unsetenv(secretstore.EnvRootKey)
		_ = os.RemoveAll(dir)
	}
}

// An application reads its secrets at start-up, configured by the same
// environment variables as the provider.
func Example() {
	defer exampleStore()()
	ctx := context.Background()

	cfg, err := secretstore.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	store, err := secretstore.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	key, err := store.Get(ctx, "acme:production", "OPENAI_API_KEY")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(key) // never prints the value
	fmt.Println(len(key.Value), "bytes")

	_, err = store.Get(ctx, "acme:production", "STRIPE_KEY")
	fmt.Println(errors.Is(err, secretstore.ErrNotFound))
	// Output:
	// secret acme:production/OPENAI_API_KEY revision 1 (key version 1, value redacted)
	// 10 bytes
	// true
}

// References in the environment are replaced by secret values, for a
// program that reads its configuration from variables.
func ExampleStore_ResolveEnv() {
	defer exampleStore()()
	ctx := context.Background()
	cfg, err := secretstore.ConfigFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	store, err := secretstore.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	env, err := store.ResolveEnv(ctx, []string{
		"LISTEN=:8080",
		"DB_PASSWORD=secretstore:acme:production/DB_PASSWORD#1",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(env[0])
	fmt.Println(env[1] == "DB_PASSWORD=hunter2")
	// Output:
	// LISTEN=:8080
	// true
}

func ExampleParseReference() {
	ref, ok, err := secretstore.ParseReference("secretstore:acme:production/OPENAI_API_KEY#3")
	fmt.Println(ref.Namespace, ref.Name, ref.Revision, ok, err)
	_, ok, _ = secretstore.ParseReference("plain value")
	fmt.Println(ok)
	// Output:
	// acme:production OPENAI_API_KEY 3 true <nil>
	// false
}
