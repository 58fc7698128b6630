"""Traffic for load runs and benchmarks: request mixes, clients, a lean HTTP client, runners."""
