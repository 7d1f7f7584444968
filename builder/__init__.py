"""News corpus builder: raw article captures in, versioned and described Parquet splits out."""

__version__ = "0.3.1"

# Bumped whenever normalization output changes for any input; recorded in every release.
NORMALIZER_VERSION = "1.1.0"
