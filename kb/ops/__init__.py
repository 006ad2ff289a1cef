"""Operations: health checks for load balancers and structured request logs."""
