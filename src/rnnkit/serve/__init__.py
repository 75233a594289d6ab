"""`rnnkit serve`: an HTTP API over loaded run folders (FastAPI + uvicorn, the extra `rnnkit[serve]`).

registry.py loads runs and does the work, schemas.py bounds every request, app.py maps HTTP onto
them, server.py runs uvicorn (in the foreground, or in a thread for tests and benchmarks)."""
