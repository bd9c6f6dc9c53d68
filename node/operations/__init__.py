"""Operations: `/healthz` for load balancers and supervisors, `/metrics` for Prometheus."""

from node.operations.metrics import NodeMetrics
from node.operations.routes import install, routes

__all__ = ["NodeMetrics", "install", "routes"]
