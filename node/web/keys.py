"""Typed application keys."""

from aiohttp import web

from node.runtime import Node

NODE: web.AppKey[Node] = web.AppKey("node", Node)
