"""Entry points: the CLI, the HTTP/SOAP ingress and the server runner."""
