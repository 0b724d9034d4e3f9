"""The server's routers, one module per API group; each has ``router(context) -> APIRouter``."""
