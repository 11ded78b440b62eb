"""qc-intake: the email intake daemon of the national QC group campaign."""

__version__ = "0.1.0"
