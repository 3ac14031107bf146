"""Neutral networks: construction (:mod:`.build`) and measures (:mod:`.measures`, :mod:`.genonets`)."""
