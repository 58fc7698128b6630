"""Federation: region identity and keys, trust lists, agreements, attestations, links."""
