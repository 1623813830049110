"""Table Schema loading and the streaming CSV validator. Pure: imports no db, storage or HTTP."""

# Files at least this large first try the parallel fast path (fastpath.py) when
# the validator is given their local path; smaller ones are quick to validate
# exactly anyway. Here, not in validator.py, so the pipeline can read it without
# importing pyarrow and DuckDB.
FAST_PATH_MIN_BYTES = 4 * 1024 * 1024
