"""Typed application keys."""

from aiohttp import web

from node.runtime import Node
from node.web.doccache import DocumentCache

NODE: web.AppKey[Node] = web.AppKey("node", Node)
DOCUMENTS: web.AppKey[DocumentCache] = web.AppKey("documents", DocumentCache)
