"""Readers (file format → neutral document) and form extractors (neutral document → fields)."""
