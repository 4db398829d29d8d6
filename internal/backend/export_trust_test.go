package backend

// Layout names the trust tests select faulted requests by.
const (
	PrefixProbe = prefixProbe
	PrefixWraps = prefixWraps
)
