"""The multimedia stock: photos, video, audio and documents the agency keeps, by content hash.

`storage` keeps the bytes (a local directory by default, behind a small interface); `sniff` finds a file's type
from its bytes; `stock` adds and reads items; `search` finds own and received items by their filters, over the
full-text index `search_index` keeps; `routes` puts them on HTTP (the editor API and the public URLs).
"""

__all__ = ["models", "routes", "search", "search_index", "sniff", "stock", "storage"]
