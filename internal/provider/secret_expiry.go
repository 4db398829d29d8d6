// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// effectiveExpiresAtAttribute is the schema of effective_expires_at on
// secretstore_secret: the expiry the store recorded for the current
// revision, whichever of expires_at, ttl or the provider's default_ttl
// gave it. Being computed without a plan modifier, it is unknown in the
// plan of every update (a ttl moves it) and refreshed by every read.
func effectiveExpiresAtAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Computed: true,
		MarkdownDescription: "Expiry the store recorded for the current revision (RFC 3339, UTC), whichever of " +
			"`expires_at`, `ttl` or the provider's `default_ttl` set it; null when the secret never expires. " +
			"With `ttl` it moves on every write; a refresh shows an expiry changed outside this configuration.",
	}
}
