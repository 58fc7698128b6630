"""The bus port: durable publish, durable consumption, transient replies."""

from hub.adapters.bus.port import Bus, Delivery, Handler, Inbox

__all__ = ["Bus", "Delivery", "Handler", "Inbox"]
