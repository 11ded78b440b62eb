"""Every reader's module and library, imported at once: what the workers' fork server loads before it
forks (``intake.workers``), so that each worker starts with them in memory it shares with the others.
The package itself imports the heavy ones only when first used (:data:`parsers.readers._HEAVY`)."""

from parsers.readers import docx, ocr, pdf, seal, xls, xlsx  # noqa: F401
