// SPDX-License-Identifier: MPL-2.0

// Command providerschema writes the provider's schema in the format of
// `terraform providers schema -json`, read from the provider itself over
// the plugin protocol in-process, for `tfplugindocs generate
// --providers-schema`. Terraform prints action, list resource and identity
// schemas only from 1.14 on; this command prints them whatever Terraform
// is installed, and needs none.
//
//	go run ./tools/providerschema -o FILE
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/secretstore/terraform-provider-secretstore/internal/provider"
)

// address is the provider source address tfplugindocs looks the schema up by.
const address = "registry.terraform.io/hashicorp/secretstore"

func main() {
	out := flag.String("o", "", "file to write (default: standard output)")
	flag.Parse()
	doc, err := schemaJSON(context.Background())
	if err == nil && *out != "" {
		err = os.WriteFile(*out, doc, 0o600)
	} else if err == nil {
		_, err = os.Stdout.Write(doc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "providerschema:", err)
		os.Exit(1)
	}
}

// schemaJSON serves the provider in-process and renders its schemas.
func schemaJSON(ctx context.Context) ([]byte, error) {
	server, err := providerserver.NewProtocol6WithError(provider.New("docs")())()
	if err != nil {
		return nil, err
	}
	s, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		return nil, err
	}
	if err := diagnosticsError("GetProviderSchema", s.Diagnostics); err != nil {
		return nil, err
	}
	ids, err := server.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		return nil, err
	}
	if err := diagnosticsError("GetResourceIdentitySchemas", ids.Diagnostics); err != nil {
		return nil, err
	}
	p := map[string]any{"provider": schema(s.Provider)}
	for key, m := range map[string]map[string]*tfprotov6.Schema{
		"resource_schemas":           s.ResourceSchemas,
		"data_source_schemas":        s.DataSourceSchemas,
		"ephemeral_resource_schemas": s.EphemeralResourceSchemas,
		"list_resource_schemas":      s.ListResourceSchemas,
	} {
		if len(m) == 0 {
			continue
		}
		out := map[string]any{}
		for name, sc := range m {
			out[name] = schema(sc)
		}
		p[key] = out
	}
	if len(s.ActionSchemas) > 0 {
		out := map[string]any{}
		for name, a := range s.ActionSchemas {
			out[name] = map[string]any{"block": block(a.Schema.Block)}
		}
		p["action_schemas"] = out
	}
	if len(ids.IdentitySchemas) > 0 {
		out := map[string]any{}
		for name, id := range ids.IdentitySchemas {
			attrs := map[string]any{}
			for _, a := range id.IdentityAttributes {
				attr := map[string]any{"type": a.Type}
				if a.Description != "" {
					attr["description"] = a.Description
				}
				if a.RequiredForImport {
					attr["required_for_import"] = true
				}
				if a.OptionalForImport {
					attr["optional_for_import"] = true
				}
				attrs[a.Name] = attr
			}
			out[name] = map[string]any{"version": id.Version, "attributes": attrs}
		}
		p["resource_identity_schemas"] = out
	}
	doc := map[string]any{
		"format_version":   "1.0",
		"provider_schemas": map[string]any{address: p},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func schema(s *tfprotov6.Schema) map[string]any {
	return map[string]any{"version": s.Version, "block": block(s.Block)}
}

// block renders a schema block as Terraform's JSON does. The provider's
// schemas have attributes only (nested attributes, no nested blocks).
func block(b *tfprotov6.SchemaBlock) map[string]any {
	out := map[string]any{"description_kind": descriptionKind(b.DescriptionKind)}
	if b.Description != "" {
		out["description"] = b.Description
	}
	if b.Deprecated {
		out["deprecated"] = true
	}
	if len(b.Attributes) > 0 {
		out["attributes"] = attributes(b.Attributes)
	}
	if len(b.BlockTypes) > 0 {
		panic("providerschema: nested blocks are not rendered; extend block()")
	}
	return out
}

func attributes(attrs []*tfprotov6.SchemaAttribute) map[string]any {
	out := map[string]any{}
	for _, a := range attrs {
		attr := map[string]any{"description_kind": descriptionKind(a.DescriptionKind)}
		if a.NestedType != nil {
			attr["nested_type"] = map[string]any{
				"attributes":   attributes(a.NestedType.Attributes),
				"nesting_mode": nestingMode(a.NestedType.Nesting),
			}
		} else {
			attr["type"] = a.Type
		}
		if a.Description != "" {
			attr["description"] = a.Description
		}
		for key, set := range map[string]bool{
			"required": a.Required, "optional": a.Optional, "computed": a.Computed,
			"sensitive": a.Sensitive, "deprecated": a.Deprecated, "write_only": a.WriteOnly,
		} {
			if set {
				attr[key] = true
			}
		}
		out[a.Name] = attr
	}
	return out
}

func descriptionKind(k tfprotov6.StringKind) string {
	if k == tfprotov6.StringKindMarkdown {
		return "markdown"
	}
	return "plain"
}

func nestingMode(n tfprotov6.SchemaObjectNestingMode) string {
	switch n {
	case tfprotov6.SchemaObjectNestingModeSingle:
		return "single"
	case tfprotov6.SchemaObjectNestingModeList:
		return "list"
	case tfprotov6.SchemaObjectNestingModeSet:
		return "set"
	case tfprotov6.SchemaObjectNestingModeMap:
		return "map"
	default:
		return "invalid"
	}
}

// diagnosticsError reports the error diagnostics of an RPC.
func diagnosticsError(rpc string, diags []*tfprotov6.Diagnostic) error {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return fmt.Errorf("%s: %s: %s", rpc, d.Summary, d.Detail)
		}
	}
	return nil
}
