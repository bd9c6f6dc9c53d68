"""The multimedia stock: photos, video, audio and documents the agency keeps, by content hash.

`storage` keeps the bytes (a local directory by default, behind a small interface); `sniff` finds a file's type
from its bytes; `stock` adds and reads items, through the steps of `intake`: photos are cleaned of location and
device identifiers (`scrub`), read for caption and credit (`embedded`), measured and resized (`images`, with a
`blurhash`), video and audio probed (`probe`); `routes` puts them on HTTP (the editor API and the public URLs).
`contentcred` signs the agency's own photos with C2PA and gives every image its C2PA verdict, with the
certificate and trust anchors `credentials` reads from [media].
"""

__all__ = ["blurhash", "contentcred", "credentials", "embedded", "images", "intake", "models", "probe", "routes",
           "scrub", "sniff", "stock", "storage"]
