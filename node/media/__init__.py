"""The multimedia stock: photos, video, audio and documents the agency keeps, by content hash.

`storage` keeps the bytes (a local directory by default, behind a small interface); `sniff` finds a file's type
from its bytes; `stock` adds and reads items, through the steps of `intake`: photos are cleaned of location and
device identifiers (`scrub`), read for caption and credit (`embedded`), measured and resized (`images`, with a
`blurhash`), video and audio probed (`probe`); `contentcred` signs the agency's own photos with C2PA and gives every
image its C2PA verdict, with the certificate and trust anchors `credentials` reads from [media]; `search` finds own
and received items by their filters, over the full-text index `search_index` keeps; `routes` puts them on HTTP
(the editor API and the public URLs).
"""

__all__ = ["blurhash", "contentcred", "credentials", "embedded", "images", "intake", "models", "probe", "routes",
           "scrub", "search", "search_index", "sniff", "stock", "storage"]
