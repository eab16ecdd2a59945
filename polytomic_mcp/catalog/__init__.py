"""The Polytomic API as data: the vendored operation catalog and its typed loader."""

from polytomic_mcp.catalog.model import (
    AsyncInfo,
    Catalog,
    Operation,
    Pagination,
    Parameter,
    load_catalog,
)

__all__ = ["AsyncInfo", "Catalog", "Operation", "Pagination", "Parameter", "load_catalog"]
