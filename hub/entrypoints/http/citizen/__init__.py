"""The citizen's ways in: the JSON API a portal calls (:mod:`.api`) and the pages
(:mod:`.pages`)."""
