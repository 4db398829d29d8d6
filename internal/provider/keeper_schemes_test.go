package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestRootKeyDescriptionNamesAcceptedKeepers: the root_key documentation
// lists exactly the keeper schemes the store accepts, so it never promises
// a keeper the binary does not register (such as hashivault://).
func TestRootKeyDescriptionNamesAcceptedKeepers(t *testing.T) {
	t.Parallel()
	var resp provider.SchemaResponse
	New("test")().Schema(context.Background(), provider.SchemaRequest{}, &resp)
	desc := resp.Schema.Attributes["root_key"].GetMarkdownDescription()
	for _, s := range backend.KeeperSchemes() {
		if !strings.Contains(desc, "`"+s+"://`") {
			t.Errorf("root_key description does not name the accepted scheme %s://: %q", s, desc)
		}
	}
	if strings.Contains(desc, "hashivault") {
		t.Errorf("root_key description names hashivault://, which the store refuses: %q", desc)
	}
	if err := backend.CheckRootKey(backend.FieldRootKey, 0, "hashivault://my-key"); err == nil {
		t.Error("CheckRootKey accepts hashivault://, which the binary does not register")
	}
}
