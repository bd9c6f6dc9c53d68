"""The multimedia stock: photos, video, audio and documents the agency keeps, by content hash.

`storage` keeps the bytes (a local directory by default, behind a small interface); `sniff` finds a file's type
from its bytes; `stock` adds and reads items; `routes` puts them on HTTP (the editor API and the public URLs).
`contentcred` signs the agency's own photos with C2PA and gives every image its C2PA verdict, with the
certificate and trust anchors `credentials` reads from [media].
"""

__all__ = ["contentcred", "credentials", "models", "routes", "sniff", "stock", "storage"]
