"""NATS: the embedded ``nats-server`` process and the JetStream bus."""
