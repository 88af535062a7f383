"""The drill: set-up (what to review), the session (one card at a time), its summary, and the
interview date that paces it. Each screen's module has its .tcss beside it."""
