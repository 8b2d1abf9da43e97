"""Local stand-ins for remote calendar services, spoken to by their real client libraries."""
